"""The analysis process (``python -m enhanced_vllm.nlp.worker``): one JSON line per question in,
``{"id": ..., "result": ...}`` out, so that NLTK's pure-Python work never holds the engine's GIL."""

from __future__ import annotations

import json
import sys


def main() -> None:
    from enhanced_vllm.nlp.analyzer import analysis_result

    for line in sys.stdin:
        request = json.loads(line)
        reply = {"id": request["id"], "result": analysis_result(request["text"])}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()

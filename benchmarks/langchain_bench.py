"""LangChain benchmark: prints one JSON object (same as `enhanced-vllm bench langchain --json`).

Target: lc_hit_ms_p50 (ChatEnhancedVLLM.invoke on an exact hit) <= lc_inmemorycache_hit_ms_p50
(LangChain's InMemoryCache hit on a fake chat model), both measured in this run.
"""

import sys

from enhanced_vllm.cli import main

if __name__ == "__main__":
    sys.exit(main(["bench", "langchain", "--json", *sys.argv[1:]]))

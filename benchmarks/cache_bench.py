"""Cache benchmark: prints one JSON object (same as `enhanced-vllm bench cache --json`).

Targets: l1_time_saved >= 0.995, l1_hit_ms_p50 <= 1, redis_hit_ms_p50 <= 2,
miss_throughput_ratio >= 0.97 (EnhancedAsyncLLM / plain AsyncLLM, same engine, same run),
burst_engine_requests == 1 (32 identical concurrent requests).
"""

import sys

from enhanced_vllm.cli import main

if __name__ == "__main__":
    sys.exit(main(["bench", "cache", "--json", *sys.argv[1:]]))

#!/bin/bash
# The GPU side of the sweeps in benchmarks/results/gpu-*.json, on the lent H200 (see ../shared/GPU.md).
# Before: build the pack here (python3 ../shared/gpu/make_product_pack.py . ../gpupack --carry-root .),
# copy ../shared/gpu to an ignored .gpuscripts/ and, for `answers`, pytest's wheels (pip download pytest
# pytest-asyncio pytest-timeout) to an ignored .gpuextra/; carry .gpucN + .gpuscripts + .gpuextra on each
# call (mkdir -p /tmp/c && cp .gpucN/* /tmp/c/), then `bash .gpuscripts/run_product_bench.sh setup`.
# Then, one call each, back to back (the machine goes cold 30 s after a call), outputs under $OUT:
#   CONC=64,256 ROUNDS=8 [CONFIGS=exact,all_features,nlp_only,...] [REUSE=] \
#   bash benchmarks/gpu_sweeps.sh smol|dummy1b|dummy8b|tp2|dp2|profile [CONFIG]|answers
# (tp2 / dp2: the 8 B shape with tensor / data parallel 2 on nvidia-h200-x2, multicast off as GPU.md requires)
# (profile: PCONC=256 for the concurrency, PMODEL=/tmp/ev/models/dummy-llama-8b for a dummy shape, made by dummy8b)
set -uo pipefail
export PYTHONPATH=$PWD:/tmp/ev/site:/tmp/ev/extra HF_HUB_OFFLINE=1 ENHANCED_VLLM_MODELS_DIR=/tmp/ev/models
export VLLM_LOGGING_STREAM=ext://sys.stderr VLLM_LOGGING_LEVEL=WARNING PATH=/tmp/ev/bin:/tmp/ev/site/bin:$PATH
export TOKENIZERS_PARALLELISM=false PYTHONUNBUFFERED=1
SWEEP="python3 -m enhanced_vllm.cli bench sweep --conc ${CONC:-16,64,256} --tokens 128 --rounds ${ROUNDS:-6} ${CONFIGS:+--configs $CONFIGS} --json"
case $1 in
  smol) $SWEEP ${REUSE---reuse 0.25,0.5,0.75} --reuse-conc 64 --reuse-rounds 3 --plot $OUT/gpu-h200-sweep-smollm2.png \
          > $OUT/gpu-h200-sweep-smollm2.json 2> $OUT/smol.err ;;
  dummy1b) $SWEEP --model /tmp/ev/models/dummy-llama --load-format dummy --plot $OUT/gpu-h200-sweep-dummy-llama-1b.png \
          > $OUT/gpu-h200-sweep-dummy-llama-1b.json 2> $OUT/dummy1b.err ;;
  dummy8b) python3 .gpuscripts/dummy_model.py /tmp/ev/models/SmolLM2-135M-Instruct /tmp/ev/models/dummy-llama-8b \
             --hidden 4096 --layers 32 --heads 32 --kv-heads 8 --ffn 14336 > /dev/null &&
          $SWEEP --model /tmp/ev/models/dummy-llama-8b --load-format dummy --plot $OUT/gpu-h200-sweep-dummy-llama-8b.png \
          > $OUT/gpu-h200-sweep-dummy-llama-8b.json 2> $OUT/dummy8b.err ;;
  tp2|dp2) # two GPUs (nvidia-h200-x2): GPU.md's multicast warning; these settings are required
          export VLLM_ALLREDUCE_USE_SYMM_MEM=0 VLLM_FLASHINFER_ALLREDUCE_BACKEND=trtllm VLLM_LOGGING_LEVEL=INFO
          PAR='"tensor_parallel_size": 2'; [ "$1" = dp2 ] && PAR='"data_parallel_size": 2'
          [ -d /tmp/ev/models/dummy-llama-8b ] || python3 .gpuscripts/dummy_model.py /tmp/ev/models/SmolLM2-135M-Instruct \
             /tmp/ev/models/dummy-llama-8b --hidden 4096 --layers 32 --heads 32 --kv-heads 8 --ffn 14336 > /dev/null
          $SWEEP --model /tmp/ev/models/dummy-llama-8b --load-format dummy \
            --engine-args "{$PAR, \"compilation_config\": {\"pass_config\": {\"fuse_allreduce_rms\": false}}}" \
            > $OUT/gpu-h200x2-sweep-$1-dummy-llama-8b.json 2> $OUT/$1.err
          grep -o "Using \[[^]]*\] all-reduce backends" $OUT/$1.err | sort -u  # must be CUSTOM / PYNCCL
          grep -qi mnnvl $OUT/$1.err && echo "mnnvl in the log: do not run this again" ;;
  profile) python3 benchmarks/profile_loop.py --conc ${PCONC:-64} --tokens 128 --batches 4 --config ${2:-all_features} \
             ${PMODEL:+--model $PMODEL --load-format dummy} > $OUT/gpu-h200-profile-${2:-all_features}-${PCONC:-64}.json \
             2> $OUT/profile.err ;;
  answers) python3 -m pip install -q --no-index --no-deps --target /tmp/ev/extra .gpuextra/*.whl 2>&1 | tail -1
          python3 -m enhanced_vllm.cli eval answers --json > $OUT/gpu-answers.json 2> $OUT/answers.err
          python3 -m pytest -q -p no:cacheprovider tests/answers/test_reference_answers.py > $OUT/gpu-pytest-answers.txt 2>&1 ;;
esac
echo "rc=$?"; tail -c 1500 $OUT/*.err 2>/dev/null | grep -v "^$" | tail -8

"""The PyTorch executor of Polylens shard plans (Schema/FORMAT.md, "Shard plans and result shards").

    python -m polylens_worker execute PLANDIR --shard 3/8 --out RESULTDIR --device cuda --dtype bfloat16
    python -m polylens_worker ray PLANDIR --out RESULTDIR --num-gpus 1 --combine study.polylens

A result shard holds exactly the rows `polylens execute` writes for the same plan (documents, neuron_stats,
language_states, summaries, lens prompts and results, activation histograms, neuron contexts) and one
shard_results row naming this engine, the device, the dtype and the library versions.
"""
ENGINE = "polylens-torch"
VERSION = "0.1.0"

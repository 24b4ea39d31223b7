# The CTC-only encoder warm-up that recipes/strategies.sh trains and that
# recipes/domain_adaptation.sh and recipes/prior_vs_data.sh start from: one
# definition, so that a recipe reusing the checkpoint, or `jstip compare`
# resuming past it, names the very stage that made it. Sourced.
warmup_steps=3000
warmup_stage="{name: ctc_warmup, steps: $warmup_steps, llm_weight: 0, ctc_weight: 1, lr: 3.0e-3}"
warmup_checkpoint=$(printf 'step-%08d' "$warmup_steps")  # the checkpoint folder it ends in

"""The accuracy-against-compute studies: where does NetAug pay?

A study is data: its plan (arms x schedules x seeds, with their configs,
in ``detection`` and ``pretrain``), the results file it shares with its
sibling studies, its report and its plots. One worker (``worker``)
schedules, trains, resumes and records any of them; ``report`` and
``plots`` read the results; ``catalog`` names the studies.
``benchmarks/study.py`` is the command line.

* from scratch (``detection``): ``pilot``, ``ladder``, ``variants``,
  ``yolox``; results in ``docs/results/ladder.json``.
* the paper's regime in miniature (``pretrain``): ``pretrain_pilot``,
  ``pretrain``; results in ``docs/results/pretrain.json``; then
  (``finetune``) ``finetune_pilot``, ``finetune``; results in
  ``docs/results/finetune.json``.
"""

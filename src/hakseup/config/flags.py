"""The command-line flags of the config: one flag, one config key (CLI.md).

The table lives with the config so that both the CLI (``cli/common.py`` builds argparse from
it) and ``hakseup.fit`` (``learn.py``: short setting names such as ``lr`` or ``model``) read
it without one importing the other. A flag's help is the catalog's ``flag.<config key>``
(``flag.<switch>`` for a switch), in the user's language.

Example:
    >>> dict((f, k) for f, k, _ in FLAGS)["--batch-size"]
    'train.batch_size'
    >>> [s for s in SWITCHES if s[0] == "--quiet"]
    [('--quiet', 'train.verbosity', 'quiet')]
"""

from __future__ import annotations

import ast

__all__ = ["FLAGS", "SWITCHES"]

# flag, config key, metavar: one flag a line.
_FLAGS = """
--dataset            data.dataset              NAME
--data               data.path                 FILE
--test-data          data.test_path            FILE
--encoding           data.encoding             NAME
--sheet              data.sheet                NAME|N
--target             data.target               COL
--task               data.task                 TASK
--time-col           data.time_col             COL
--id-col             data.id_col               COL
--window             data.window               N
--horizon            data.horizon              N
--interval           data.interval             L,L
--future-covariates  data.future_covariates    A,B
--difference         data.difference           MODE
--layout             data.layout               L
--sequence-shape     data.sequence_shape       TxF
--categorical        data.categorical          A,B
--numeric            data.numeric              A,B
--drop               data.drop                 A,B
--data-dir           data.cache_dir            DIR
--image-size         data.image_size           N
--image-col          data.image_col            COL
--model              model.name                NAME
--hidden             model.hidden              W,W
--lstm-impl          model.lstm_impl           IMPL
--epochs             train.epochs              N
--batch-size         train.batch_size          N
--lr                 train.lr                  X
--optimizer          train.optimizer           NAME
--scheduler          train.scheduler           NAME
--class-weight       train.class_weight        none|balanced
--label-smoothing    train.label_smoothing     X
--patience           train.patience            N
--seed               train.seed                N
--device             train.device              D
--precision          train.precision           P
--loader             train.loader              L
--workers            train.workers             N
--threads            train.threads             auto|N
--checkpoint-every   train.checkpoint_every    N
--output             output.dir                DIR
--name               output.name               NAME
--deploy-prevalence  output.deploy_prevalence  P
--metric             evaluation.metric         M
--references         evaluation.references     all|none
--tracker            output.tracker            none|mlflow
--tracking-uri       output.tracking_uri       URI
"""
# switch, config key, the value it sets (a Python literal).
_SWITCHES = """
--no-header          data.header               False
--dayfirst           data.dayfirst             True
--calendar           data.calendar             True
--compile            train.compile             True
--no-progress        train.progress            False
--quiet              train.verbosity           'quiet'
--verbose            train.verbosity           'verbose'
--no-tensorboard     train.tensorboard         False
"""


def _rows(table: str) -> list[tuple[str, str, str]]:
    """The three columns of each line of a table."""
    return [(a, b, c) for a, b, c in (line.split(None, 2) for line in table.strip().splitlines())]


FLAGS: list[tuple[str, str, str]] = _rows(_FLAGS)
SWITCHES: list[tuple[str, str, object]] = [
    (flag, key, ast.literal_eval(value)) for flag, key, value in _rows(_SWITCHES)
]

"""Where an Optuna study lives: a SQLite file in the tune run's folder (the default), or a
relational database named by ``--storage URL`` that several ``hakseup tune`` workers share.

Workers on one or many machines that name the same database and study join one study: the
database hands out trial numbers (never twice), the median pruner compares each trial with
every worker's, and a worker's heartbeat lets the others mark its trials failed if it dies.
Each worker keeps its own run folder; ``run.json`` records the study (the URL without its
password) and the worker's id, so ``--resume RUN`` rejoins the same study as the same worker.

Example:
    >>> masked_url("postgresql://me:secret@db.lan:5432/hakseup")
    'postgresql://me:***@db.lan:5432/hakseup'
"""

from __future__ import annotations

import hashlib
import json

from ..errors import ConfigError
from ..i18n import t

__all__ = ["open_study", "default_study_name", "masked_url", "foreign_tables", "DB_EXTRA"]

DB_EXTRA = 'pip install "hakseup[tune-db]"'
HEARTBEAT_S = 30  # a dead worker's running trials are marked failed after 2 beats


def masked_url(url: str) -> str:
    """The URL with its password replaced by ``***`` (what is safe to write to run.json)."""
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a URL at all: open_study reports it
        return url


def default_study_name(cfg, space: dict) -> str:
    """The run's name and a digest of its search space: the same command on two machines
    (whose data paths may differ) joins one study; another search space never does."""
    digest = hashlib.sha256(
        json.dumps(sorted((k, repr(v)) for k, v in space.items())).encode()
    ).hexdigest()[:8]
    return f"{cfg.run_name()}-{digest}"


def _storage(url: str):
    import optuna

    if url.startswith("sqlite:"):  # a file: no heartbeat thread needed for one machine
        return optuna.storages.RDBStorage(url, engine_kwargs={"connect_args": {"timeout": 30}})
    import warnings

    with warnings.catch_warnings():  # "heartbeat_interval is an experimental feature"
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        return optuna.storages.RDBStorage(
            url,
            heartbeat_interval=HEARTBEAT_S,
            grace_period=2 * HEARTBEAT_S,
            engine_kwargs={"pool_pre_ping": True},
        )


def _explain(url: str, e: BaseException) -> str:
    text = (str(e).strip().splitlines() or [type(e).__name__])[0][:240]
    if isinstance(e, ImportError):  # optuna words a missing driver as an ImportError
        cause = e.__cause__ or e.__context__
        missing = getattr(cause, "name", None) or text
        how = DB_EXTRA if url.startswith("postgres") else t("error.tuning.storage.mysql_how")
        return t("error.tuning.storage.no_driver", url=masked_url(url), missing=missing, how=how)
    return t("error.tuning.storage.not_opened", url=masked_url(url), text=text)


def _is_race(e: BaseException) -> bool:
    """Whether ``e`` is another worker winning a race to create the same schema or study at
    the same moment (PostgreSQL: a duplicate key in pg_type, "relation already exists")."""
    text = f"{type(e).__name__} {e}".lower()
    return any(
        k in text for k in ("already exists", "duplicate key", "uniqueviolation", "integrityerror")
    )


def _create_retrying(url: str, name: str, seed: int, attempts: int = 6):
    """Open the storage and create or load the study. Workers started together race to create
    Optuna's tables and the study row; the loser of such a race retries (the winner's schema
    and study are then there to load) instead of failing."""
    import time

    import optuna

    for attempt in range(attempts):
        try:
            return optuna.create_study(
                study_name=name,
                storage=_storage(url),
                load_if_exists=True,
                direction="minimize",
                sampler=optuna.samplers.TPESampler(seed=seed),
                pruner=optuna.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=1),
            )
        except Exception as e:
            if attempt == attempts - 1 or not _is_race(e):
                raise
            time.sleep(0.2 * (attempt + 1))


# Tables every Optuna storage has: a database holding them is a study store already.
_OPTUNA_TABLES = {"studies", "version_info"}


def foreign_tables(url: str) -> list[str]:
    """The tables of the database at ``url`` when it holds tables and not Optuna's (someone's
    own data), else []. A SQLite file that does not exist yet is not opened (nor made)."""
    import os

    from sqlalchemy import create_engine, inspect
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        db = parsed.database
        if not db or db == ":memory:" or not os.path.exists(db) or os.path.getsize(db) == 0:
            return []
    engine = create_engine(url)
    try:
        names = sorted(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    return [] if _OPTUNA_TABLES <= set(names) else names


def open_study(url: str, name: str, seed: int, shared: bool, add_tables: bool = False):
    """Create or load the study ``name`` in the storage at ``url`` (minimising the validation
    loss, TPE sampling, median pruning). A bad URL, a missing driver or an unreachable
    database is one ``ConfigError`` line; so is a database that holds other tables and no
    Optuna study, unless ``add_tables`` (``--add-optuna-tables``): Optuna would add its 13
    tables beside the user's own."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    try:
        if shared and not add_tables:
            others = foreign_tables(url)
            if others:
                raise ConfigError(
                    t(
                        "error.tuning.storage.foreign_tables",
                        url=masked_url(url),
                        n=len(others),
                        names=", ".join(others[:5]) + (", ..." if len(others) > 5 else ""),
                    )
                )
        return _create_retrying(url, name, seed)
    except ConfigError:
        raise
    except ValueError as e:  # an existing study of that name optimises the other way
        if "direction" in str(e).lower():
            raise ConfigError(
                t(
                    "error.tuning.storage.study_exists_another",
                    name=name,
                    masked_url=masked_url(url),
                )
            ) from None
        raise ConfigError(_explain(url, e)) from None
    except Exception as e:  # sqlalchemy's ArgumentError, OperationalError, a missing driver
        if not shared:
            raise
        raise ConfigError(_explain(url, e)) from None

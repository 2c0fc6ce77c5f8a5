"""The notebooks' facade: one call per notebook step, each the same package call the CLI makes.

Notebooks stay thin (a parameters cell, then calls into this module) and the CLI and the
notebooks cannot drift apart: every function here wires settings, the database and MLflow
into `edupulse.data`, `features`, `labels`, `tracking`, `fairness`, `scoring` and `reporting`
and returns their typed results or DataFrames for display. Nothing here shows a student's
name, contact or SIS id: students appear only as a prefix of their internal UUID.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from edupulse.config import Settings

if TYPE_CHECKING:
    from edupulse.data.pipeline import LoadReport
    from edupulse.experiment import ExperimentConfig
    from edupulse.fairness.modes import Audited
    from edupulse.features import FeatureBuildReport
    from edupulse.scoring.score import ScoreReport
    from edupulse.tracking.pipeline import ExperimentOutcome
    from edupulse.workbench.compare import Promotion

FRIDAY = 4  # the sample's as-of weekday (the synthetic generator's oracle is weekly, Fridays)
KEY_CHARS = 8  # students are shown as the first characters of their internal UUID

ERR_EMPTY = ("{db}: no students loaded. Run notebook 01 or 02 first (they load the sample when "
             "the database is empty) or `edupulse load DIR`")
ERR_NO_CHAMPION = ("{db}: no active model. Notebook 03 did not promote one (the ABC-baseline "
                   "gate refused, or it was not run): rerun 03, or run it with "
                   "force_promotion=True and a promotion_reason to promote past the gate")
ERR_NO_SOURCE = "{dir}: no such folder (sample_dir must name an SIS export, e.g. data/sample)"


class WorkbenchError(RuntimeError):
    """A notebook cannot go on; the message says what to run first."""


def _progress() -> bool:
    return sys.stderr.isatty()


@contextmanager
def _quiet() -> Iterator[None]:
    """No MLflow download bars and no tqdm-in-Jupyter warning in an executed notebook."""
    from edupulse.tracking.runs import quiet_downloads

    with warnings.catch_warnings(), quiet_downloads():
        warnings.filterwarnings("ignore", message="IProgress not found")
        yield


# --- database --------------------------------------------------------------------------------


def connect(db_url: str = "") -> tuple[Settings, Engine]:
    """Settings (an empty `db_url` means $EDUPULSE_DATABASE_URL, else SQLite in $EDUPULSE_HOME)
    and an engine whose schema has been brought to the newest revision."""
    from edupulse.db import migrate
    from edupulse.db.session import make_engine

    settings = Settings.from_env(db_url or None)
    settings.home.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.database_url)
    migrate.upgrade(engine)
    return settings, engine


def student_count(engine: Engine) -> int:
    from edupulse.db.models import Student

    with engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(Student)).scalar_one())


def ensure_loaded(engine: Engine, sample_dir: str | Path, *,
                  home: Path | None = None) -> LoadReport | None:
    """Load `sample_dir` when the database has no students; None when it already has some.

    The load is the one `edupulse load` runs (validated, one transaction); rejected rows go to
    <home>/rejects/ (home: $EDUPULSE_HOME) and a load that stops raises WorkbenchError.
    """
    from edupulse.data.pipeline import LoadError, default_rejects_path, load_directory

    if student_count(engine):
        return None
    folder = Path(sample_dir)
    if not folder.is_dir():
        raise WorkbenchError(ERR_NO_SOURCE.format(dir=folder))
    rejects = default_rejects_path(home or Settings.from_env().home, folder)
    try:
        report = load_directory(engine, folder, rejects_path=rejects)
    except LoadError as exc:
        raise WorkbenchError(str(exc)) from None
    if report.stopped or not report.committed:
        raise WorkbenchError(f"{folder}: the load stopped, nothing was loaded: "
                             + "; ".join(f.error or "" for f in report.stopped))
    return report


def require_loaded(engine: Engine) -> int:
    """The number of students; WorkbenchError when none are loaded."""
    n = student_count(engine)
    if not n:
        raise WorkbenchError(ERR_EMPTY.format(db=_safe(engine)))
    return n


def load_summary(report: LoadReport | None) -> pd.DataFrame:
    """Rows read / new / updated / unchanged / rejected per file (empty when nothing ran)."""
    cols = ["file", "read", "new", "updated", "unchanged", "rejected"]
    if report is None:
        return pd.DataFrame(columns=cols)
    return pd.DataFrame([{c: getattr(f, c) for c in cols} for f in report.files
                         if f.file is not None], columns=cols)


def row_counts(engine: Engine) -> pd.Series:
    """Rows of every EduPulse table (the figures `edupulse db info` prints)."""
    from edupulse.db import migrate

    return pd.Series(migrate.row_counts(engine), name="rows").rename_axis("table")


def data_range(engine: Engine) -> tuple[dt.date, dt.date]:
    """The first and last attendance date stored."""
    from edupulse.db.models import AttendanceRecord

    c = AttendanceRecord.__table__.c.date
    with engine.connect() as conn:
        first, last = conn.execute(sa.select(sa.func.min(c), sa.func.max(c))).one()
    if first is None:
        raise WorkbenchError(ERR_EMPTY.format(db=_safe(engine)))
    return _day(first), _day(last)


def weekly_as_of_dates(engine: Engine, *, until: dt.date | None = None, weekday: int = FRIDAY,
                       min_weeks: int = 1) -> list[dt.date]:
    """Every `weekday` from the end of the data's `min_weeks`-th week through the last day of
    data (or `until`, if earlier): the weekly as-of dates features and scores are made on."""
    first, last = data_range(engine)
    if until is not None:
        last = min(last, until)
    start = first + dt.timedelta(days=(weekday - first.weekday()) % 7 + 7 * (min_weeks - 1))
    return [start + dt.timedelta(weeks=i) for i in range((last - start).days // 7 + 1)
            ] if start <= last else []


def use_project_root() -> Path:
    """Work from the repository root, so relative defaults (data/sample, experiments/) mean the
    same whether a notebook runs from the root (`edupulse run`) or from notebooks/ (JupyterLab,
    nbval start the kernel in the notebook's folder). Outside a checkout: the current folder."""
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / "pyproject.toml").is_file() and (folder / "notebooks").is_dir():
            os.chdir(folder)
            return folder
    return here


def parse_date(text: str) -> dt.date:
    """A notebook parameter's date, with a message naming the bad value."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise WorkbenchError(f"{text!r} is not a date (expected YYYY-MM-DD)") from None


def output_dir(out_dir: str, settings: Settings, name: str) -> Path:
    """`out_dir`, or $EDUPULSE_HOME/<name> when the parameter is empty."""
    path = Path(out_dir) if out_dir else settings.home / name
    path.mkdir(parents=True, exist_ok=True)
    return path


# --- features and labels ---------------------------------------------------------------------


def build_features(engine: Engine, dates: Sequence[dt.date]) -> FeatureBuildReport:
    """student_features for `dates` (replacing those dates' rows), as `edupulse features`."""
    from edupulse.features import build_features as build

    return build(engine, list(dates), progress=_progress())


def feature_rows(report: FeatureBuildReport) -> pd.DataFrame:
    return pd.DataFrame([{"as_of": d.as_of, "students": d.rows} for d in report.dates])


def feature_frame(engine: Engine, as_of: dt.date) -> pd.DataFrame:
    """The model-ready features of one date, SIS ids dropped, students as UUID prefixes."""
    from edupulse.features import read_feature_frame

    frame = read_feature_frame(engine, [as_of]).drop(columns=["district_id"])
    frame["student_id"] = frame["student_id"].str[:KEY_CHARS]
    return frame


def label_summary(engine: Engine, dates: Sequence[dt.date], outcome: str = "any_adverse",
                  horizon_days: int = 84) -> pd.DataFrame:
    """Cohort, labelled, positives, prevalence and exclusions per date (`edupulse labels`)."""
    from edupulse.labels import build_labels

    return build_labels(engine, list(dates), outcome, horizon_days).summary()


def load_experiment(path: str | Path) -> ExperimentConfig:
    from edupulse.experiment import load_experiment as load

    return load(Path(path))


# --- training and promotion ------------------------------------------------------------------


def train(engine: Engine, settings: Settings, experiment: str | Path) -> ExperimentOutcome:
    """`edupulse train EXPERIMENT`: features built if missing, one MLflow run per model x split.
    Raises WorkbenchError naming the failed models when any model failed."""
    from edupulse.tracking.pipeline import run_experiment

    path = Path(experiment)
    config = load_experiment(path)
    with _quiet():
        outcome = run_experiment(engine, config, path.read_text(encoding="utf-8"), path.name,
                                 settings, progress=_progress(), echo=print)
    if outcome.failed:
        raise WorkbenchError("failed: " + "; ".join(f"{m.model} on {m.split}: {m.error}"
                                                    for m in outcome.failed))
    return outcome


def promote_best(engine: Engine, settings: Settings, experiment: str, metric: str, *,
                 force: bool = False, reason: str = "") -> Promotion:
    """`edupulse promote --experiment NAME --best METRIC [--force --reason TEXT]`: a refusal by
    the ABC-baseline gate is returned (not raised) so the notebook can say so."""
    import mlflow

    from edupulse.tracking import promotion as p
    from edupulse.workbench.compare import Promotion

    mlflow.set_tracking_uri(settings.mlflow_tracking_uri)
    client = mlflow.MlflowClient()
    cand = p.best_candidate(client, experiment, metric)
    try:
        with _quiet():
            result = p.promote(engine, client, cand, force=force, reason=reason or None)
    except p.GateRefused as exc:
        return Promotion(cand, None, str(exc))
    return Promotion(cand, result, p.gate_message(cand))


def champion(engine: Engine) -> Any:
    """The active model version (edupulse.tracking.promotion.ActiveVersion), or WorkbenchError
    saying how to get one."""
    from edupulse.tracking.promotion import active_version

    with engine.connect() as conn:
        active = active_version(conn)
    if active is None:
        raise WorkbenchError(ERR_NO_CHAMPION.format(db=_safe(engine)))
    return active


# --- audit, scoring, report ------------------------------------------------------------------


def audit_settings(*, n_boot: int = 200, top_pct: float = 10.0, seed: int = 0) -> Any:
    """The audit's settings from the same option text the CLI parses (its defaults otherwise)."""
    from edupulse.fairness.options import build_settings

    return build_settings(groups=None, top_pct=top_pct, n_boot=n_boot, seed=seed)


def audit_champion(engine: Engine, settings: Settings, out: Path, *, n_boot: int = 200,
                   top_pct: float = 10.0) -> Audited:
    """`edupulse audit --mlflow-run RUN`: the champion's test-split scores, audited against
    their realised outcomes, logged back to its run."""
    from edupulse.fairness.modes import audit_mlflow

    run_id = champion(engine).mlflow_run_id
    with _quiet():
        return audit_mlflow(engine, run_id, audit_settings(n_boot=n_boot, top_pct=top_pct),
                            out, tracking_uri=settings.mlflow_tracking_uri, progress=_progress())


def summary_lines(result: Any) -> list[str]:
    """The audit's plain-language summary, as `edupulse audit` prints it."""
    from edupulse.fairness.summary import summarise

    return summarise(result).lines()


def score(engine: Engine, settings: Settings, as_of: dt.date) -> ScoreReport:
    """`edupulse score --as-of DATE` with the active model (WorkbenchError when there is none)."""
    from edupulse.scoring.score import score as run

    champion(engine)
    with _quiet():
        return run(engine, as_of, tracking_uri=settings.mlflow_tracking_uri,
                   progress=_progress())


def score_summary(reports: Sequence[ScoreReport]) -> pd.DataFrame:
    return pd.DataFrame([{"as_of": r.as_of, "model_version": r.model_version,
                          "scored": r.scored, "replaced": r.replaced, **r.categories,
                          "features_built": r.features_built, "seconds": round(r.seconds, 1)}
                         for r in reports])


def prediction_scores(engine: Engine, dates: Sequence[dt.date]) -> pd.DataFrame:
    """as_of, risk_score, risk_category of every prediction made as of `dates` (no ids)."""
    from edupulse.db.models import Prediction
    from edupulse.scoring.score import prediction_timestamp

    p = Prediction.__table__
    stamps = {prediction_timestamp(d): d for d in dates}
    q = (sa.select(p.c.prediction_date, p.c.risk_score, p.c.risk_category)
         .where(p.c.prediction_date.in_(list(stamps))))
    with engine.connect() as conn:
        rows = conn.execute(q).all()
    frame = pd.DataFrame(rows, columns=["as_of", "risk_score", "risk_category"])
    frame["as_of"] = frame["as_of"].map(_day)
    return frame.sort_values(["as_of", "risk_score"], ascending=[True, False],
                             ignore_index=True)


def schools(engine: Engine, as_of: dt.date) -> list[str]:
    """School codes with predictions up to `as_of`, for choosing a school's list."""
    from edupulse.db.models import Prediction, Student

    s, p = Student.__table__, Prediction.__table__
    code = s.c.student_metadata["school_code"].as_string()
    until = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC)
    q = (sa.select(code).distinct().join(p, p.c.student_id == s.c.id)
         .where(p.c.prediction_date < until, code.is_not(None)).order_by(code))
    with engine.connect() as conn:
        return [c for c in conn.execute(q).scalars() if c]


def pick_school(engine: Engine, as_of: dt.date, school: str = "") -> str:
    """`school`, or (when empty) the first school with predictions up to `as_of`."""
    known = schools(engine, as_of)
    if school and school not in known:
        raise WorkbenchError(f"school {school!r} has no predictions up to {as_of} "
                             f"(schools with predictions: {', '.join(known) or 'none'})")
    if not known:
        raise WorkbenchError(f"no predictions up to {as_of}: run notebook 05 (scoring) first")
    return school or known[0]


def risk_list(engine: Engine, as_of: dt.date, school: str, *, top: int = 10,
              categories: Sequence[str] = ("high", "critical")) -> pd.DataFrame:
    """A school's list as `edupulse risk-list` makes it, with pseudonymous keys only."""
    from edupulse.scoring import risk_list as rl

    with engine.connect() as conn:
        rows = rl.risk_list(conn, as_of, school, categories=tuple(categories), top=top)
    return pd.DataFrame([{
        "rank": r.rank, "student_key": r.student[:KEY_CHARS], "grade_level": r.grade_level,
        "risk_score": r.risk_score, "risk_category": r.risk_category,
        "confidence": r.confidence, "top_factors": ", ".join(f.factor for f in r.factors),
        "recommendations": "; ".join(dict.fromkeys(f.recommendation for f in r.factors)),
    } for r in rows], columns=["rank", "student_key", "grade_level", "risk_score",
                               "risk_category", "confidence", "top_factors", "recommendations"])


def equity_report(engine: Engine, settings: Settings, as_of: dt.date, out: Path, *,
                  district: str = "", n_boot: int = 200, top_pct: float = 10.0) -> list[Path]:
    """`edupulse report equity --as-of DATE [--district CODE]`: the report's path(s)."""
    from edupulse.reporting.build import equity_from_database

    champion(engine)
    with _quiet():
        return equity_from_database(
            engine, as_of, audit_settings(n_boot=n_boot, top_pct=top_pct), out,
            district=district or None, tracking_uri=settings.mlflow_tracking_uri,
            progress=_progress())


def read_audit(folder: Path) -> Any:
    """The audit an equity report was made from (AuditResult), read back from its folder."""
    from edupulse.fairness.results import read_audit as read

    return read(folder)


def _safe(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


def _day(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, str):
        return dt.date.fromisoformat(value[:10])
    return value

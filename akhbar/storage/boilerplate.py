"""Persistence of the per-source boilerplate models (tables ``boilerplate_lines`` and
``boilerplate_sources``): loaded when a run starts, saved after each committed batch."""

from __future__ import annotations

from sqlalchemy import Engine, delete, select

from akhbar.cleaner.boilerplate import BoilerplateModel
from akhbar.storage.database import make_session_factory
from akhbar.storage.models import BoilerplateLine, BoilerplateSource
from akhbar.storage.types import utcnow

__all__ = ["BoilerplateStore"]


class BoilerplateStore:
    """Loads and saves :class:`BoilerplateModel` rows; its own short transactions."""

    def __init__(self, engine: Engine) -> None:
        self.sessions = make_session_factory(engine)
        # save() reads then writes: on SQLite take the write lock up front (BEGIN IMMEDIATE)
        self.write_sessions = make_session_factory(engine, write=True)

    def load(self, source: str) -> BoilerplateModel:
        """The stored model of ``source`` (empty when nothing was learned yet); lines stored
        under a key of an older folding are re-keyed (:meth:`BoilerplateModel.restore`) and
        their rows replaced at the next :meth:`save`."""
        model = BoilerplateModel(source)
        with self.sessions() as session:
            row = session.get(BoilerplateSource, source)
            model.pages_seen = row.pages_seen if row else 0
            for line in session.scalars(
                select(BoilerplateLine).where(BoilerplateLine.source == source)
            ):
                model.restore(line.line_key, line.line, line.pages, line.titles)
        return model

    def save(self, model: BoilerplateModel) -> int:
        """Write the model's changed lines and page count; returns how many lines were written."""
        changed = model.dirty()
        forgotten = sorted(model.forgotten)
        with self.write_sessions.begin() as session:
            head = session.get(BoilerplateSource, model.source)
            if head is None:
                session.add(BoilerplateSource(source=model.source, pages_seen=model.pages_seen))
            else:
                head.pages_seen = model.pages_seen
                head.updated_at = utcnow()
            rows: dict[str, BoilerplateLine] = {}
            for chunk in _chunks([s.key for s in changed]):
                rows.update(
                    (row.line_key, row)
                    for row in session.scalars(
                        select(BoilerplateLine).where(
                            BoilerplateLine.source == model.source,
                            BoilerplateLine.line_key.in_(chunk),
                        )
                    )
                )
            if changed:
                for stat in changed:
                    row = rows.get(stat.key)
                    if row is None:
                        session.add(
                            BoilerplateLine(
                                source=model.source,
                                line_key=stat.key,
                                line=stat.text,
                                pages=stat.pages,
                                titles=stat.titles,
                            )
                        )
                    else:
                        row.pages, row.titles, row.updated_at = stat.pages, stat.titles, utcnow()
            for chunk in _chunks(forgotten):
                session.execute(
                    delete(BoilerplateLine).where(
                        BoilerplateLine.source == model.source,
                        BoilerplateLine.line_key.in_(chunk),
                    )
                )
        model.mark_clean(changed)
        model.forgotten.clear()
        return len(changed)


def _chunks(keys: list[str], size: int = 500) -> list[list[str]]:
    return [keys[i : i + size] for i in range(0, len(keys), size)]

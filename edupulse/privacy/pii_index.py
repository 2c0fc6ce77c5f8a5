"""What identifies a student, as sets built once from the database, and how to find it in text.

Names become token n-grams ("ada example", "example ada", "example, ada"), contacts become
digit strings (phones), lower-cased addresses (e-mail) or token n-grams, dates of birth become a
set of dates, SIS ids a set of strings. Detecting is then a handful of C-level regex passes and
set lookups per line, independent of the number of students (no regex per student). The index
keeps raw values in memory only: its repr shows counts, and a Hit carries a masked value.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property

import sqlalchemy as sa

from edupulse.db.models import Student

# An export writes a birth year as 1 July of that year (edupulse.privacy.export); such a date is
# indistinguishable from a real birthday on 1 July, so the scan does not report 1 July dates.
EXPORT_BIRTH_DAY = (7, 1)
MIN_SINGLE_NAME = 4  # shorter single names ("Li", "Ng") would match too much ordinary text
MAX_SHARED = 3  # a single name carried by more students than this does not single anyone out

# Common English words that are also names: alone they identify nobody.
_COMMON = """
able april august autumn bell best bill black blue bond brown burns bush camp can case chase
church clay cliff close cook crane cross dale dash dawn day dean dell drew duke early east
english fair faith field fields fine fish ford forest fox frank free frost gay gift glass gold
good grace grant gray green grey hall hand hardy hart hill holly hope house hunt hunter iris
ivy jack joy june king lake lane law lee light long love lucky major mark marsh mason may
mercy miles mill miller mills moon moore morning new newman north park parks patience pierce
pike poor pope post price prince rain ray reed rich rivers robin rock rose ross rush sage
sands school scott shell short small snow spring stone storm strong summer sunny swift
taylor temple trust true turner wall ward warren wells west white will willow wise wolf wood
woods young also data date grade test total class level mean rate risk score model report
river phoenix destiny aurora nova eden sky hazel violet stella reese dakota victoria madison
jordan morgan blake story baker cooper carter parker brooks mitchell nelson chance sawyer page
banks bishop cash justice liberty ocean ruby royal star winter jade pearl amber olive daisy
brook heath ash cedar fisher archer butler marshall knight potter tanner weaver walker smith
legend maverick
"""
COMMON_WORDS = frozenset(_COMMON.split())

WORD = re.compile(r"[^\W_]+")
ID_RUN = re.compile(r"[A-Za-z0-9_-]+")
PHONE = re.compile(r"[+(]?\d[\d ().\-/]{5,22}\d")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
BIRTH = re.compile(r"(?<![a-z])(dob|born)(?![a-z])|d\.o\.b|birth", re.I)
URL_PASSWORD = re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s/:@'\"]+:([^\s@/'\"]+)@", re.I)
_MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
_MONTH = r"(jan|feb|mar|apr|may|jun|jul|aug|sept?|oct|nov|dec)[a-z]*\.?"
DATE_YMD = re.compile(r"(?<!\d)(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)")
DATE_XDY = re.compile(r"(?<!\d)(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})(?!\d)")
DATE_COMPACT = re.compile(r"(?<!\d)((?:19|20)\d{2})(\d{2})(\d{2})(?!\d)")
DATE_MDY = re.compile(_MONTH + r"\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})\b", re.I)
DATE_DMY = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)?\s+" + _MONTH + r",?\s+(\d{4})\b", re.I)


@dataclass(frozen=True)
class StudentIdentity:
    """The identifying fields of one student, as the database holds them."""

    district_id: str
    first_name: str
    last_name: str
    date_of_birth: dt.date | None
    parent_contact: str | None


@dataclass(frozen=True)
class Hit:
    start: int
    end: int
    kind: str  # name | contact | date_of_birth | district_id | password
    masked: str


def tokens(text: str) -> tuple[str, ...]:
    return tuple(WORD.findall(text.casefold()))


def digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


@dataclass(frozen=True, repr=False)
class PiiIndex:
    """Sets of everything that identifies a student in the database (never printed)."""

    names: frozenset[tuple[str, ...]] = field(default_factory=frozenset)
    single_names: frozenset[str] = field(default_factory=frozenset)
    contacts: frozenset[tuple[str, ...]] = field(default_factory=frozenset)
    phones: frozenset[str] = field(default_factory=frozenset)
    emails: frozenset[str] = field(default_factory=frozenset)
    dates_of_birth: frozenset[dt.date] = field(default_factory=frozenset)
    district_ids: frozenset[str] = field(default_factory=frozenset)
    students: int = 0

    def __repr__(self) -> str:
        return (f"PiiIndex(students={self.students}, name_forms={len(self.names)}, "
                f"single_names={len(self.single_names)}, ids={len(self.district_ids)})")

    # Derived sets, computed once per index (detect() runs per line).
    @cached_property
    def phrase_lengths(self) -> tuple[int, ...]:
        return tuple(sorted({len(p) for p in self.names | self.contacts}, reverse=True))

    @cached_property
    def name_tokens(self) -> frozenset[str]:
        """Every token that can start or be part of a match (a cheap pre-filter)."""
        return frozenset(t for p in self.names | self.contacts for t in p) | self.single_names

    @cached_property
    def phone_lengths(self) -> tuple[int, ...]:
        return tuple(sorted({len(p) for p in self.phones}, reverse=True))

    @cached_property
    def birth_years(self) -> frozenset[int]:
        return frozenset(d.year for d in self.dates_of_birth)

    @classmethod
    def from_students(cls, students: Iterable[StudentIdentity]) -> PiiIndex:
        names: set[tuple[str, ...]] = set()
        contacts: set[tuple[str, ...]] = set()
        phones: set[str] = set()
        emails: set[str] = set()
        dobs: set[dt.date] = set()
        ids: set[str] = set()
        carriers: Counter[str] = Counter()
        n = 0
        for s in students:
            n += 1
            first, last = tokens(s.first_name or ""), tokens(s.last_name or "")
            if first and last:
                names.update({first + last, last + first, first[:1] + last})
            carriers.update(set(first) | set(last))
            if s.district_id:
                ids.add(s.district_id.strip().casefold())
            if s.date_of_birth and (s.date_of_birth.month, s.date_of_birth.day) != EXPORT_BIRTH_DAY:
                dobs.add(s.date_of_birth)
            _add_contact(s.parent_contact or "", contacts, phones, emails)
        single = {t for t, c in carriers.items()
                  if c <= MAX_SHARED and len(t) >= MIN_SINGLE_NAME and t.isalpha()
                  and t not in COMMON_WORDS}
        return cls(frozenset(names), frozenset(single), frozenset(contacts), frozenset(phones),
                   frozenset(emails), frozenset(dobs), frozenset(ids), n)


def _add_contact(value: str, contacts: set, phones: set, emails: set) -> None:  # type: ignore[type-arg]
    found = EMAIL.findall(value)
    emails.update(e.casefold() for e in found)
    rest = EMAIL.sub(" ", value)
    for m in PHONE.finditer(rest):
        d = digits(m.group())
        if len(d) >= 7:
            phones.add(d)
    words = tokens(PHONE.sub(" ", rest))
    if len(words) >= 2:
        contacts.add(words)


def build_index(engine: sa.Engine | sa.Connection) -> PiiIndex:
    """Read every student's identifying fields once."""
    s = Student.__table__
    q = sa.select(s.c.district_id, s.c.first_name, s.c.last_name, s.c.date_of_birth,
                  s.c.parent_contact)

    def rows(conn: sa.Connection) -> PiiIndex:
        return PiiIndex.from_students(
            StudentIdentity(*r) for r in conn.execution_options(yield_per=5000).execute(q)
        )

    if isinstance(engine, sa.Connection):
        return rows(engine)
    with engine.connect() as conn:
        return rows(conn)


# --- detection on one piece of text ------------------------------------------------------


def mask(value: str, keep: int = 1) -> str:
    """First `keep` characters of each word, every other letter or digit starred."""
    out, pos = [], 0
    for m in re.finditer(r"[^\W_]+", value):
        out.append(value[pos:m.start()])
        w = m.group()
        out.append(w[:keep] + "*" * (len(w) - keep))
        pos = m.end()
    out.append(value[pos:])
    return "".join(out)


def _mask_phone(value: str) -> str:
    total = sum(ch.isdigit() for ch in value)
    seen, out = 0, []
    for ch in value:
        if ch.isdigit():
            seen += 1
            out.append(ch if seen > total - 2 else "*")
        else:
            out.append(ch)
    return "".join(out)


def birth_context(text: str) -> bool:
    """Does `text` speak of birth dates? A date alone (an enrollment date, an as-of date) is
    often some student's birthday by chance; a date is reported only where it is labelled."""
    folded = text.casefold()
    return any(w in folded for w in ("dob", "born", "d.o.b", "birth")) and \
        BIRTH.search(text) is not None


def might_match(text: str, index: PiiIndex, dates: bool = True) -> bool:
    """A fast, conservative pre-filter over a large block: False means detect() finds nothing."""
    folded = text.casefold()
    if not index.name_tokens.isdisjoint(WORD.findall(folded)):
        return True
    if not index.district_ids.isdisjoint(r.strip("-_") for r in ID_RUN.findall(folded)):
        return True
    if index.emails and "@" in text and not index.emails.isdisjoint(EMAIL.findall(folded)):
        return True
    if "://" in text and URL_PASSWORD.search(text):
        return True
    if index.phones and any(_phone_hit(m, index) for m in PHONE.findall(text)):
        return True
    return dates and bool(index.dates_of_birth) and any(True for _ in _dob_hits(text, index))


def detect(text: str, index: PiiIndex, dates: bool = True) -> list[Hit]:
    """Every identifying value in `text` (one line), masked, overlapping hits merged; dates of
    birth only when `dates` (see birth_context)."""
    hits: list[Hit] = []
    words = [(m.group().casefold(), m.start(), m.end()) for m in WORD.finditer(text)]
    covered: set[int] = set()
    for n in index.phrase_lengths:
        for i in range(len(words) - n + 1):
            if covered.intersection(range(i, i + n)):
                continue
            gram = tuple(w for w, _, _ in words[i:i + n])
            kind = "name" if gram in index.names else "contact" if gram in index.contacts else ""
            if kind:
                start, end = words[i][1], words[i + n - 1][2]
                hits.append(Hit(start, end, kind, mask(text[start:end])))
                covered.update(range(i, i + n))
    for i, (w, start, end) in enumerate(words):
        if i not in covered and w in index.single_names and text[start].isupper():
            hits.append(Hit(start, end, "name", mask(text[start:end])))
    for m in ID_RUN.finditer(text):
        run = m.group().strip("-_")
        decimal = m.start() >= 2 and text[m.start() - 1] == "." and text[m.start() - 2].isdigit()
        if run and not decimal and run.casefold() in index.district_ids:
            hits.append(Hit(m.start(), m.end(), "district_id", run[:2] + "*" * (len(run) - 2)))
    for m in EMAIL.finditer(text):
        if m.group().casefold() in index.emails:
            hits.append(Hit(m.start(), m.end(), "contact", mask(m.group())))
    for m in PHONE.finditer(text):
        span = _phone_span(m.group(), index)
        if span:
            start, end = m.start() + span[0], m.start() + span[1]
            hits.append(Hit(start, end, "contact", _mask_phone(text[start:end])))
    for start, end, year in _dob_hits(text, index) if dates else ():
        hits.append(Hit(start, end, "date_of_birth", f"{year}-**-**"))
    for m in URL_PASSWORD.finditer(text):
        if set(m.group(1)) != {"*"}:
            hits.append(Hit(m.start(1), m.end(1), "password", "***"))
    return _merge(hits)


def _phone_hit(candidate: str, index: PiiIndex) -> bool:
    return _phone_span(candidate, index) is not None


_NOT_DIGIT = re.compile(r"\D+")


def _phone_span(candidate: str, index: PiiIndex) -> tuple[int, int] | None:
    """Where in `candidate` a known phone number's digits are (whole, leading or trailing)."""
    d = _NOT_DIGIT.sub("", candidate)
    if len(d) < 7:
        return None
    if d in index.phones:
        return 0, len(candidate)
    for n in index.phone_lengths:
        if n < len(d) and (d[-n:] in index.phones or d[:n] in index.phones):
            positions = [i for i, ch in enumerate(candidate) if ch.isdigit()]
            if d[-n:] in index.phones:
                return positions[-n], len(candidate)
            return 0, positions[n - 1] + 1
    return None


def _date(y: int, m: int, d: int) -> dt.date | None:
    try:
        return dt.date(y, m, d)
    except ValueError:
        return None


def _dob_hits(text: str, index: PiiIndex) -> Iterable[tuple[int, int, int]]:
    years = index.birth_years
    dobs = index.dates_of_birth

    def check(y: str, candidates: list[tuple[int, int]]) -> bool:
        year = int(y)
        return year in years and any(_date(year, mo, d) in dobs for mo, d in candidates)

    for m in DATE_YMD.finditer(text):
        if check(m[1], [(int(m[2]), int(m[3]))]):
            yield m.start(), m.end(), int(m[1])
    for m in DATE_XDY.finditer(text):
        a, b = int(m[1]), int(m[2])
        if check(m[3], [(a, b), (b, a)]):
            yield m.start(), m.end(), int(m[3])
    for m in DATE_COMPACT.finditer(text):
        if check(m[1], [(int(m[2]), int(m[3]))]):
            yield m.start(), m.end(), int(m[1])
    for m in DATE_MDY.finditer(text):
        if check(m[3], [(_MONTHS.index(m[1][:3].lower()) + 1, int(m[2]))]):
            yield m.start(), m.end(), int(m[3])
    for m in DATE_DMY.finditer(text):
        if check(m[3], [(_MONTHS.index(m[2][:3].lower()) + 1, int(m[1]))]):
            yield m.start(), m.end(), int(m[3])


def _merge(hits: list[Hit]) -> list[Hit]:
    """Drop hits inside a longer one (a date's digits are not also a phone number)."""
    kept: list[Hit] = []
    for h in sorted(hits, key=lambda h: (h.start, -(h.end - h.start))):
        if kept and h.start < kept[-1].end:
            continue
        kept.append(h)
    return kept


def redact(text: str, index: PiiIndex, replacement: str = "[REDACTED]") -> str:
    """`text` with every detected value replaced (for free text in exports)."""
    for h in sorted(detect(text, index), key=lambda h: h.start, reverse=True):
        text = text[:h.start] + replacement + text[h.end:]
    return text

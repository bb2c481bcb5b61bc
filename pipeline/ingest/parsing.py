"""The SQL that turns one exported text value into a typed canonical value.

Each field gives a value expression and rules: (condition, reason) pairs under which the row
is quarantined. Formats, patterns, value maps and reasons are bound as parameters; the SQL
text holds only identifiers and placeholders. A reason that a change to the mapping would
answer (an unknown stage, a date in another format) says where to make it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from pipeline.ingest.canonical import Field
from pipeline.ingest.mapping import STAGES, Column, EntityMapping, StatusRule
from pipeline.ingest.readers import ISO_FORMATS

# Currency signs and ISO codes an amount may carry: "$1,234.50", "¥1,234", "USD 1,234".
CURRENCY = r"^[A-Z]{2}[$¥]|[\s$¥￥€£]|^[A-Z]{3}|[A-Z]{3}$"
EARLIEST, LATEST = "1900-01-01", "2100-12-31"
QUARTER = r"\d{4}-Q[1-4]"


def ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@dataclass
class Parsed:
    value: str
    rules: list[tuple[str, str]] = field(default_factory=list)


class Parser:
    """Builds the typed expressions of one file; `params` are the values they bind."""

    def __init__(self, mapping: EntityMapping, timezone: str, from_xlsx: bool,
                 nul_columns: frozenset[str] = frozenset()) -> None:
        self.mapping, self.source = mapping, mapping.source
        self.timezone, self.from_xlsx = timezone, from_xlsx
        self.nul_columns = nul_columns  # the columns some value of which holds a NUL byte
        self.params: dict[str, object] = {}

    def bind(self, value: object) -> str:
        name = f"p{len(self.params)}"
        self.params[name] = value
        return f"${name}"

    def raw(self, column: str) -> str:
        return f"nullif(trim({ident(column)}), '')"

    def given(self, value: str) -> str:
        """A value the mapping gives, read like an exported one."""
        return f"nullif(trim({self.bind(value)}::varchar), '')"

    def field(self, f: Field, column: Column, columns: dict[str, str]) -> Parsed:
        """`columns` holds the export columns the file has; a column the mapping reads with
        a default may be missing (when optional), and then the default is every row's."""
        if column.derive:
            parts = ", ".join(f"coalesce({self.raw(columns[c])}, '')" for c in column.derive)
            return Parsed(f"'h' || left(md5(concat_ws(chr(31), {parts})), 15)")
        found = column.name in columns
        raw = self.raw(columns[column.name]) if found else None
        if column.given is not None:
            raw = self.given(column.given) if raw is None \
                else f"coalesce({raw}, {self.given(column.given)})"
        parsed = getattr(self, f"_{f.type}")(f, raw)
        if f.not_null:
            parsed.rules.insert(0, (f"{raw} is null", "a value is required"))
        # a NUL byte is no character of any text: a damaged file, or a binary one
        if found and columns[column.name] in self.nul_columns:
            parsed.rules.insert(0, (f"contains({ident(columns[column.name])}, chr(0))",
                                    "a NUL byte (\\x00) in the value: the file may be "
                                    "damaged"))
        if f.minimum is not None:
            parsed.rules.append((f"{parsed.value} < {int(f.minimum)}", f"below {f.minimum}"))
        return parsed

    def _id(self, f: Field, raw: str) -> Parsed:
        prefix = self.bind(self.source.id_prefix)
        value = (f"case when starts_with({raw}, {prefix}) "
                 f"then substr({raw}, length({prefix}) + 1) else {raw} end")
        rules = []
        if self.source.id_pattern:
            rules.append((f"{value} is not null and not regexp_full_match({value}, "
                          f"{self.bind(self.source.id_pattern)})",
                          f"not an id of this source (expected {self.source.id_pattern}); "
                          "an id turned into a number by Excel looks like this"))
        return Parsed(value, rules)

    def _text(self, f: Field, raw: str) -> Parsed:
        rules = []
        if f.allowed:
            rules.append((f"not list_contains({self.bind(list(f.allowed))}, {raw})",
                          f"not one of {', '.join(f.allowed)}"))
        return Parsed(raw, rules)

    def _stage(self, f: Field, raw: str) -> Parsed:
        """A stage the mapping does not list is quarantined: loading it would mean guessing
        where it sits in the pipeline."""
        known = list(self.source.stage_labels())
        unknown = f"{raw} is not null and not list_contains({self.bind(known)}, {raw})"
        return Parsed(raw, [(unknown, f"unknown stage; {self.source.advice('add it to', STAGES)}"
                                      f". Known: {', '.join(known)}")])

    def _category(self, f: Field, raw: str) -> Parsed:
        """A value mapped onto a fixed list (activity types); an unknown value is
        quarantined unless the mapping gives a default."""
        mapping = dict(self.mapping.values.get(f.name, {}))
        default = mapping.pop("default", None)
        if not mapping and default is None:
            value = f"lower({raw})"
        else:
            keys, values = self.bind(list(mapping)), self.bind(list(mapping.values()))
            found = f"{values}[list_position({keys}, {raw})]"
            value = f"coalesce({found}, {self.bind(default)})" if default else found
        known = self.bind(list(f.allowed))
        return Parsed(value, [(f"{raw} is not null and not coalesce(list_contains({known}, "
                               f"{value}), false)",
                               f"unknown {f.name}; " + self.source.advice(
                                   "map it under", f"entities: {self.mapping.key}: values: "
                                   f"{f.name}:") + f". Known: {', '.join(f.allowed)}")])

    def _decimal(self, f: Field, raw: str) -> Parsed:
        formats = self.source.formats
        bare = f"regexp_replace({raw}, {self.bind(CURRENCY)}, '', 'g')"
        point = re.escape(formats.point)
        if formats.thousands:
            thousands = re.escape(formats.thousands)
            shape = rf"[-+]?(\d{{1,3}}({thousands}\d{{3}})+|\d+)({point}\d+)?"
        else:
            shape = rf"[-+]?\d+({point}\d+)?"
        plain = bare
        if formats.thousands:
            plain = f"replace({plain}, {self.bind(formats.thousands)}, '')"
        if formats.point != ".":
            plain = f"replace({plain}, {self.bind(formats.point)}, '.')"
        value = (f"case when regexp_full_match({bare}, {self.bind(shape)}) "
                 f"then try_cast({plain} as decimal(18, 2)) end")
        written = (f"thousands {formats.thousands!r} and " if formats.thousands else "") \
            + f"decimal point {formats.point!r}"
        return Parsed(value, [(f"{raw} is not null and {value} is null",
                               f"not a number with {written}; if the export writes numbers "
                               "another way, " + self.source.advice(
                                   "set its separators under", "formats: decimal:"))])

    def _rate(self, f: Field, raw: str) -> Parsed:
        value = f"try_cast({raw} as decimal(18, 8))"
        return Parsed(value, [(f"{raw} is not null and {value} is null", "not a number")])

    def _integer(self, f: Field, raw: str) -> Parsed:
        value = (f"case when regexp_full_match({raw}, '[+-]?[0-9]+') "
                 f"then try_cast({raw} as bigint) end")
        return Parsed(value, [(f"{raw} is not null and {value} is null", "not a whole number")])

    def _times(self, f: Field, raw: str, also: str = "") -> Parsed:
        formats = self.source.formats.of(f.type)
        if self.from_xlsx:
            formats = ISO_FORMATS[f.type] + formats
        cast = "" if f.type == "timestamp" else "::date"
        parsed = []
        for fmt in dict.fromkeys(formats):
            value = f"try_strptime({raw}, {self.bind(fmt)})"
            if "%z" in fmt or "%Z" in fmt:
                value = f"timezone({self.bind(self.timezone)}, {value})"
            parsed.append(f"({value}){cast}")
        value = f"coalesce({', '.join(parsed)})" if len(parsed) > 1 else parsed[0]
        rules = [(f"{raw} is not null and {value} is null",
                  f"not a {f.type} in the format {' or '.join(formats)}{also}; if the export "
                  f"writes them another way, " + self.source.advice(
                      "add its format to", f"formats: {f.type}:"))]
        if len(parsed) > 1:
            # list_distinct drops nulls: more than one left means the formats disagree
            rules.append((f"len(list_distinct([{', '.join(parsed)}])) > 1",
                          f"ambiguous: reads differently as {' and as '.join(formats)}"))
        rules.append((f"{value} not between {self.bind(EARLIEST)}::date "
                      f"and {self.bind(LATEST)}::date",
                      f"a {f.type} outside {EARLIEST[:4]}-{LATEST[:4]}"))
        return Parsed(value, rules)

    _date = _timestamp = _month = _times

    def _period(self, f: Field, raw: str) -> Parsed:
        """A month, as '2026-03', or a fiscal quarter, as '2026-Q1'."""
        month = self._times(replace(f, type="month"), raw, ", or a quarter as YYYY-Qn")
        is_quarter = f"regexp_full_match(upper({raw}), {self.bind(QUARTER)})"
        value = (f"case when {is_quarter} then upper({raw}) "
                 f"else strftime({month.value}, '%Y-%m') end")
        rules = [(f"not {is_quarter} and ({condition})", reason)
                 for condition, reason in month.rules]
        return Parsed(value, rules)

    def _probability(self, f: Field, raw: str) -> Parsed:
        scale = 100 if self.source.formats.probability == "percent" else 1
        value = f"try_cast(rtrim({raw}, '% ') as double) / {scale}"
        return Parsed(value, [(f"{raw} is not null and ({value} is null or {value} "
                               "not between 0 and 1)",
                               f"not a probability between 0 and {scale}")])

    def boolean(self, raw: str) -> Parsed:
        formats = self.source.formats
        truthy, falsy = self.bind(list(formats.true)), self.bind(list(formats.false))
        value = (f"case when list_contains({truthy}, lower({raw})) then true "
                 f"when list_contains({falsy}, lower({raw})) then false end")
        return Parsed(value, [(f"{raw} is not null and {value} is null",
                               f"not a yes/no value ({', '.join(formats.true)} or "
                               f"{', '.join(formats.false)}); " + self.source.advice(
                                   "list the export's words under", "formats: boolean:"))])

    def _boolean(self, f: Field, raw: str) -> Parsed:
        return self.boolean(raw)

    def status(self, rule: StatusRule, columns: dict[str, str]) -> Parsed:
        """Status by flags (closed, won) or by a column's values; an unknown value is
        quarantined."""
        if rule.column:
            raw = self.raw(columns[rule.column])
            keys, values = self.bind(list(rule.values)), self.bind(list(rule.values.values()))
            value = f"{values}[list_position({keys}, {raw})]"
            return Parsed(value, [(f"{raw} is not null and {value} is null",
                                   "unknown status value; " + self.source.advice(
                                       "map it under", f"entities: {self.mapping.key}: "
                                       "status: values:") + f". Known: {', '.join(rule.values)}")])
        closed = self.boolean(self.raw(columns[rule.closed]))
        won = self.boolean(self.raw(columns[rule.won]))
        value = (f"case when coalesce({won.value}, false) then 'won' "
                 f"when coalesce({closed.value}, false) then 'lost' else 'open' end")
        return Parsed(value, closed.rules + won.rules)

"""PostgreSQL builds each customer's JSON: a planned node without Python per field or per row.

Python costs about a microsecond per field it copies from a row into a response; a page has
~800, a detail with three lists a few hundred. When every field a node shows has a SQL form,
the statement itself builds the node's JSON object, formatted exactly as the GraphQL layer
would (``schema.planned.sql_scalars``), and the response embeds it as it comes.

Which fields have a SQL form follows from their declarations (``schema.reads``): a ``Column``
whose scalar has a form, a ``Projection`` whose ``sql`` maps its children to columns, a
``Related`` list or row with ``sql_rows``, a nested connection (``Paged``) with its ``sql``
whose page arguments are written in the document, a ``Lookup`` with its ``sql_table``, a
``Count`` with its ``sql``, a Relay node's id, and a plain field of a row-built object (its
column). Anything else (a computed value, a masked or consent-only field, a denial below the
node, a connection paged by variables) keeps the node in Python. What Python still does per
node is in ``NodeSql``: the errors and audit notes of the node's denied fields, the reads of its
audited fields, for a list whose items hold audited fields a flag per node saying whether it had
any rows (the regular path notes a read of those fields only for a customer with rows), and for
a history page the coordinates whose values it showed (each such value is a read).

A nested connection is one correlated subquery per customer: the page's rows (``first + 1``
along the table's ``(customer, id)`` index, past the cursor), numbered in the order read, from
which one ``json_build_object`` writes the edges (in the page's order, the extra row left out),
``pageInfo`` (the cursors as ``encode_cursor`` writes them, ``sql_scalars.cursor_sql``) and
``totalCount`` (a count of the same rows).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson
from graphql import ValueNode, VariableNode
from graphql.execution.values import get_argument_values
from sqlalchemy import (
    JSON,
    Boolean,
    Integer,
    String,
    Text,
    and_,
    bindparam,
    case,
    cast,
    exists,
    func,
    literal,
    literal_column,
    null,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.dialects.postgresql import ARRAY, aggregate_order_by

from api.authz.masking import MASKERS
from api.authz.policy import Action, Decisions, FieldAccess
from api.db.models import Customer
from api.errors import InvalidInput
from api.services.pagination import PageRequest, keyset_statement
from schema.nested_pages import Paged, RedactedBy
from schema.planned.run import Bound
from schema.planned.sql_scalars import NoSqlForm, cursor_sql, global_id_sql, name_literal, sql_form
from schema.reads import Column, Count, Lookup, Projection, Related

log = logging.getLogger(__name__)


class _NoJson(Exception):
    """This node needs Python for some field."""


@dataclass(frozen=True, slots=True)
class NodeSql:
    """A node the database builds, and what Python still does for each one.

    ``denied``: fields null in the JSON whose FORBIDDEN errors and deny notes are made per node;
    ``noted``: audited fields of the node, a read noted per node; ``flags``: (an expression, what
    Python notes by its value): (true when a list has rows, the audited fields below it), noted per
    node whose flag is true, or (the coordinates a history page showed, {coordinate: group}), each
    noted as a read; ``limits``: (bind parameter, list field) for each list's size argument.
    """

    expression: Any
    denied: tuple[Bound, ...] = ()
    noted: tuple[Bound, ...] = ()
    flags: tuple[tuple[Any, tuple[Bound, ...] | Mapping[str, str]], ...] = ()
    limits: tuple[tuple[str, Bound], ...] = ()


@dataclass
class _Builder:
    denied: list[Bound] = field(default_factory=list)
    noted: list[Bound] = field(default_factory=list)
    flags: list[tuple[Any, tuple[Bound, ...] | Mapping[str, str]]] = field(default_factory=list)
    limits: list[tuple[str, Bound]] = field(default_factory=list)

    def object(self, bound: Bound, columns: Any, depth: int, audited: list[Bound] | None) -> Any:
        """``json_build_object`` of ``bound``'s children over ``columns`` (a table or subquery's ``.c``).

        ``depth`` 0 is the node; ``audited`` collects the audited fields inside a list's items.
        """
        pairs: list[Any] = []
        for child in bound.children:
            shape = child.shape
            pairs.append(name_literal(shape.key))
            if shape.definition is None:  # __typename
                pairs.append(name_literal(shape.parent))
                continue
            if child.action is Action.DENY:
                if depth:
                    raise _NoJson(f"{shape.coordinate} is denied per item")  # its errors need the items' paths
                self.denied.append(child)
                pairs.append(null())
                continue
            if child.action is Action.AUDIT or child.action is Action.MASK:  # a masked read is noted too
                if depth == 0:
                    self.noted.append(child)
                elif audited is not None:
                    audited.append(child)
                else:
                    raise _NoJson(f"{shape.coordinate} is audited in a nested list")
            elif child.action is not Action.PASS:
                raise _NoJson(f"{shape.coordinate} is decided per row (consent, team)")
            pairs.append(self.value(child, columns, depth, audited))
        return func.json_build_object(*pairs)

    def value(self, child: Bound, columns: Any, depth: int, audited: list[Bound] | None) -> Any:
        shape = child.shape
        declared = shape.declared
        if declared is None:
            if shape.resolved is not None:
                raise _NoJson(f"{shape.coordinate} is computed")
            relay_type = getattr(shape.read, "relay_type", None)
            if relay_type is not None:  # a Relay node's id
                return global_id_sql(relay_type, columns[getattr(shape.read, "relay_column", "id")])
            return self.leaf(child, columns, shape.python_name)  # a plain field: its row's column
        reading = declared.reading
        if isinstance(reading, Column):
            return self.leaf(child, columns, reading.column)
        if isinstance(reading, Projection) and shape.leaf is None and not shape.is_list:
            mapped = reading.sql is not None and all(c.shape.name in reading.sql for c in child.children)
            if reading.cases is not None and not mapped and reading.cases[0] in columns:
                return _cases(child, columns[reading.cases[0]], reading.cases[1]())
        if isinstance(reading, Projection) and reading.sql is not None and shape.leaf is None and not shape.is_list:
            # Audited fields of an object that is never null are noted per customer, as the node's.
            inner = self.mapped(child, columns, reading.sql, noted=depth == 0 and not reading.null_if)
            nulls = [columns[name].is_(None) for name in reading.null_if]
            return inner if not nulls else case((or_(*nulls), null()), else_=inner)
        if isinstance(reading, Paged):
            return self.paged(child, reading, columns, depth)
        if isinstance(reading, Related) and reading.sql_rows is not None and reading.variant is None:
            return self.related(child, reading, columns, depth, audited)
        if isinstance(reading, Lookup) and reading.sql_table is not None and reading.sql_key is not None:
            table = reading.sql_table
            found = self.object(child, table.c, depth + 1, audited)
            return select(found).where(table.c[reading.sql_key] == columns[reading.key]).scalar_subquery()
        if isinstance(reading, Count) and depth == 0:
            return reading.sql()
        raise _NoJson(f"{shape.coordinate} has no SQL form")

    def leaf(self, child: Bound, columns: Any, column: str) -> Any:
        shape = child.shape
        if shape.leaf is None or column not in columns:
            raise _NoJson(f"{shape.coordinate}: no column {column}")
        if child.masker is not None:
            if shape.is_list:
                raise _NoJson(f"{shape.coordinate}: a masked list")
            form = sql_form(shape.leaf)
            if form is None:
                raise _NoJson(f"{shape.coordinate}: {shape.leaf} has no SQL form")
            return form(child.masker.sql(columns[column]))
        if shape.is_list:
            # A list of scalars kept as a JSON array column is embedded as it is.
            if getattr(columns[column].type, "__visit_name__", "") != "JSON" or shape.leaf.name != "String":
                raise _NoJson(f"{shape.coordinate}: a list of scalars not kept as JSON")
            return columns[column]
        form = sql_form(shape.leaf)
        if form is None:
            raise _NoJson(f"{shape.coordinate}: {shape.leaf} has no SQL form")
        return form(columns[column])

    def mapped(self, child: Bound, columns: Any, sql: Any, noted: bool = False) -> Any:
        """A projection's object: each child a leaf over the column ``sql`` names; ``noted``: its
        audited children are noted per customer."""
        pairs: list[Any] = []
        for grandchild in child.children:
            shape = grandchild.shape
            pairs.append(name_literal(shape.key))
            if shape.definition is None:
                pairs.append(name_literal(shape.parent))
                continue
            if grandchild.action is Action.AUDIT and noted:
                self.noted.append(grandchild)
            elif grandchild.action is not Action.PASS:
                raise _NoJson(f"{shape.coordinate} is not plainly readable")
            declared = shape.declared
            reading = declared.reading if declared is not None else None
            if isinstance(reading, Projection) and reading.cases is not None and reading.cases[0] in sql:
                pairs.append(_cases(grandchild, columns[sql[reading.cases[0]]], reading.cases[1]()))
            elif shape.name in sql:
                pairs.append(self.leaf(grandchild, columns, sql[shape.name]))
            else:
                raise _NoJson(f"{shape.coordinate} is not a column of the projection")
        return func.json_build_object(*pairs)

    def related(self, child: Bound, reading: Related, columns: Any, depth: int, audited: list[Bound] | None) -> Any:
        assert reading.sql_rows is not None
        inside: list[Bound] = []
        needed = _columns_below(child)
        try:
            rows = self.rows(reading, columns, needed, child)
        except KeyError as missing:  # a field that is not a column of the related row
            raise _NoJson(f"{child.shape.coordinate}: no column {missing}") from None
        item = self.object(child, rows.c, depth + 1, inside)
        if inside:
            if depth or audited is not None:
                raise _NoJson(f"{child.shape.coordinate}: audited fields in a list inside a list")
            has_rows = exists(select(literal_column("1")).select_from(rows))
            self.flags.append((has_rows, tuple(inside)))
        if reading.single:
            return select(item).select_from(rows).scalar_subquery()
        ordered = aggregate_order_by(item, *(rows.c[name].desc() for name in reading.order))
        return select(func.coalesce(func.json_agg(ordered), literal_column("'[]'::json"))).scalar_subquery()

    def paged(self, child: Bound, reading: Paged, columns: Any, depth: int) -> Any:
        """A nested connection of the node: one page of its rows, as the regular path pages them."""
        shape = child.shape
        if depth:
            raise _NoJson(f"{shape.coordinate}: a connection below the node")
        arguments = _written_arguments(child)
        picked = reading.pick(arguments)
        if not isinstance(picked, Paged) or picked.sql is None:
            raise _NoJson(f"{shape.coordinate} has no SQL form")
        try:
            request = picked.request(arguments)
        except InvalidInput:
            raise _NoJson(f"{shape.coordinate}: bad input, the resolvers word it") from None
        if request.cursor is not None and len(picked.keys) != 1:
            raise _NoJson(f"{shape.coordinate}: a cursor of several keys")
        page = _Page(picked, request, columns, child)
        pairs: list[Any] = []
        inside: list[Bound] = []
        for part in child.children:  # the connection's fields: never null for an existing customer
            part_shape = part.shape
            pairs.append(name_literal(part_shape.key))
            if part_shape.definition is None:
                pairs.append(name_literal(part_shape.parent))
                continue
            if part.action is Action.AUDIT:
                self.noted.append(part)  # noted per customer, as the node's own
            elif part.action is not Action.PASS:
                raise _NoJson(f"{part_shape.coordinate} is not plainly readable")
            if part_shape.name == "edges":
                pairs.append(self.edges(part, page, inside))
            elif part_shape.name == "pageInfo":
                pairs.append(self.page_info(part, page))
            elif part_shape.name == "totalCount":
                pairs.append(page.count())
            else:
                raise _NoJson(f"{part_shape.coordinate} has no SQL form")
        if inside:  # read per item: noted for a customer whose page has rows
            self.flags.append((exists(select(literal_column("1")).select_from(page.rows).where(page.kept)),
                               tuple(inside)))
        if page.redacted is not None and page.redacted.noted is not None:
            # Always asked, even when no coordinate the subject reads is audited: a row of a
            # coordinate without a decision must fail the statement (see redacted_change_sql).
            shown = page.rows.c.history_noted
            coordinates = (
                select(func.array_agg(aggregate_order_by(shown.distinct(), shown), type_=ARRAY(Text)))
                .select_from(page.rows).where(page.kept, shown.is_not(None)).scalar_subquery()
            )
            self.flags.append((coordinates, dict(page.redacted.groups)))
        # One row whatever the page holds and whichever parts are selected: an aggregate over no group.
        connection = select(func.json_build_object(*pairs)).select_from(page.rows).group_by(literal_column("()"))
        return connection.scalar_subquery()

    def edges(self, bound: Bound, page: _Page, inside: list[Bound]) -> Any:
        """The page's edges in the page's order (the row read beyond it left out)."""
        pairs: list[Any] = []
        for part in bound.children:
            shape = part.shape
            pairs.append(name_literal(shape.key))
            if shape.definition is None:
                pairs.append(name_literal(shape.parent))
                continue
            if part.action is Action.AUDIT:
                inside.append(part)
            elif part.action is not Action.PASS:
                raise _NoJson(f"{shape.coordinate} is not plainly readable")
            if shape.name == "cursor":
                pairs.append(cursor_sql(page.cursor_key(shape.coordinate)))
            elif shape.name == "node" and shape.leaf is None:
                pairs.append(self.object(part, page.rows.c, 2, inside))
            else:
                raise _NoJson(f"{shape.coordinate} has no SQL form")
        rank = page.rows.c.page_rank
        ordered = aggregate_order_by(func.json_build_object(*pairs), rank if page.request.forward else rank.desc())
        return func.coalesce(func.json_agg(ordered).filter(page.kept), literal_column("'[]'::json"))

    def page_info(self, bound: Bound, page: _Page) -> Any:
        """``PageInfo`` as ``PageRequest.page`` and ``schema.ids.page_info`` make it."""
        request = page.request
        more = func.count() > literal_column(str(request.size), Integer)
        values = {
            "hasNextPage": lambda _: more if request.forward else _boolean(request.before is not None),
            "hasPreviousPage": lambda _: more if not request.forward else _boolean(request.after is not None),
            "startCursor": lambda coordinate: self.edge_cursor(page, coordinate, start=True),
            "endCursor": lambda coordinate: self.edge_cursor(page, coordinate, start=False),
        }
        pairs: list[Any] = []
        for part in bound.children:
            shape = part.shape
            pairs.append(name_literal(shape.key))
            if shape.definition is None:
                pairs.append(name_literal(shape.parent))
            elif part.action is not Action.PASS or shape.name not in values:
                raise _NoJson(f"{shape.coordinate} is not plainly readable")
            else:
                pairs.append(values[shape.name](shape.coordinate))
        return func.json_build_object(*pairs)

    @staticmethod
    def edge_cursor(page: _Page, coordinate: str, *, start: bool) -> Any:
        """The cursor of the page's first (``start``) or last edge, null on an empty page."""
        key = page.cursor_key(coordinate)
        # The row read first has the greatest key when the rows are read in descending order.
        first_read = func.max(key) if page.read_descending else func.min(key)
        last_read = func.min(key) if page.read_descending else func.max(key)
        if start == page.request.forward:
            return cursor_sql(cast(first_read.filter(page.kept), Integer))
        return cursor_sql(cast(last_read.filter(page.kept), Integer))

    def rows(self, reading: Related, columns: Any, needed: list[str], child: Bound) -> Any:
        """The subquery of the related rows, its size a parameter when the field has one."""
        assert reading.sql_rows is not None
        if reading.single:
            rows = reading.sql_rows(columns[reading.key], needed, 1)
        elif reading.argument is None:
            rows = reading.sql_rows(columns[reading.key], needed, None)  # every row
        else:
            parameter = f"limit_{len(self.limits)}"
            self.limits.append((parameter, child))
            rows = reading.sql_rows(columns[reading.key], needed, _limit(parameter))
        return rows


class _Page:
    """One customer's page of a nested connection, as a subquery correlated to the customer.

    ``rows``: the rows read (up to ``size + 1``, past the cursor, in the order read) with their
    ``page_rank`` in that order, redacted columns in place of the stored ones and, for a history
    page, ``history_noted`` (the coordinate whose read a row's shown values are); ``kept``: the
    rows on the page (the one beyond it only says there is more).
    """

    def __init__(self, reading: Paged, request: PageRequest, columns: Any, bound: Bound) -> None:
        assert reading.sql is not None
        spec = reading.sql
        table = spec.table
        keys = reading.keys
        self.reading = reading
        self.request = request
        self.read_descending = keys[0].descending == request.forward
        self._scope = [table.c[spec.parent] == columns[reading.key]]
        if spec.condition is not None:
            self._scope.append(spec.condition(table.c))
        self._table = table
        order = [key.column.desc() if key.descending == request.forward else key.column.asc() for key in keys]
        self.redacted = _redacted(spec.redact(), bound.decisions, table.c) if spec.redact is not None else None
        selected: list[Any] = [*table.c, func.row_number().over(order_by=order).label("page_rank")]
        if self.redacted is not None:
            selected.append(self.redacted.key.label("history_key"))
        cursor = None
        if request.cursor is not None:
            cursor = [literal_column(str(int(value)), Integer) for value in request.cursor]  # ints: inlined
        read = keyset_statement(
            select(*selected).where(*self._scope), reading.keys, forward=request.forward, cursor=cursor,
            size=literal_column(str(request.size + 1), Integer),
        ).correlate_except(table).subquery()
        if self.redacted is not None:
            redacted = self.redacted
            shown = [
                redacted.values[column.key](read.c, read.c.history_key).label(column.key)
                if column.key in redacted.values else read.c[column.key]
                for column in table.c
            ]
            if redacted.noted is not None:
                shown.append(redacted.noted(read.c, read.c.history_key).label("history_noted"))
            read = select(*shown, read.c.page_rank).select_from(read).subquery()
        self.rows = read
        self.kept = read.c.page_rank <= literal_column(str(request.size), Integer)

    def cursor_key(self, coordinate: str) -> Any:
        """The one (integer) column a row's cursor encodes; a cursor of several keys (a moment and an
        id) is left to the other paths, which encode it as ``api.services.pagination`` does."""
        keys = self.reading.keys
        if len(keys) != 1:
            raise _NoJson(f"{coordinate}: a cursor of several keys")
        return self.rows.c[keys[0].column.key]

    def count(self) -> Any:
        """``totalCount``: every row of the customer's list, on every page."""
        return select(func.count()).select_from(self._table).where(*self._scope).correlate_except(
            self._table
        ).scalar_subquery()


@dataclass(frozen=True, slots=True)
class _Redacted:
    """A ``RedactedBy`` in SQL for one subject: ``key`` the row's coordinate (computed once per
    row), ``values`` each redacted column as ``(row columns, key) -> shown``, ``noted(row columns,
    key)`` the coordinate whose read the row's shown values are (NULL: none), ``groups`` the
    group of each audited coordinate."""

    key: Any
    values: Mapping[str, Any]
    noted: Any
    groups: Mapping[str, str]


_SQL_TEXT = re.compile(r"[0-9A-Za-z_.:\- ]*")


def _text(text: str) -> Any:
    """A fixed string inlined as a SQL literal when nothing in it needs escaping, else a parameter."""
    return literal_column(f"'{text}'", String) if _SQL_TEXT.fullmatch(text) else literal(text, String)


def _redacted(spec: RedactedBy, decisions: Decisions | None, columns: Any) -> _Redacted:
    """``redacted_change`` in SQL for the subject of ``decisions``, over a history row's ``columns``.

    Each value is shown as the subject reads the row's coordinate: in full (an enum's stored
    value as the schema names it), masked, or null; a row showing a value of an audited
    coordinate notes its read. A coordinate outside ``spec.known()`` (none is written today)
    has no decision here: the statement fails on it and the resolvers answer.
    """
    assert decisions is not None, "bound with the subject's decisions (run.bind)"
    group = type_coerce(columns[spec.group], String)
    name = columns[spec.field]
    key = case(
        *[(group == _text(g), _text(c)) for g, c in spec.whole_groups.items()],
        *[((group == _text(g)) & (name == _text(f)), _text(c)) for (g, f), c in spec.special.items()],
        else_=case({_text(g): _text(f"{t}.") for g, t in spec.group_types.items()}, value=group).concat(name),
    )
    known = sorted(spec.known())
    full: list[str] = []
    masked: dict[str, Any] = {}
    audited: dict[str, str] = {}
    for coordinate in known:
        step = decisions.step(*coordinate.split(".", 1))
        if step.access is FieldAccess.FULL:
            full.append(coordinate)
        elif step.access is FieldAccess.MASKED and coordinate in MASKERS:
            masked[coordinate] = MASKERS[coordinate]
        else:
            continue
        if step.audited:
            audited[coordinate] = step.group or ""

    def unknown(row_key: Any) -> Any:  # no decision: the statement fails, the resolvers answer
        return cast(cast(literal_column("'no decision for the history field '", String).concat(row_key), Integer),
                    Text)

    def shown(column: str) -> Any:
        def value_of(row: Any, row_key: Any) -> Any:
            value = row[column]
            whens: list[Any] = [(value.is_(None), null())]
            for coordinate in full:
                names = spec.enum_names(coordinate)
                if names:
                    named = case({_text(k): _text(v) for k, v in names.items()}, value=value, else_=value)
                    whens.append((row_key == _text(coordinate), named))
            if full:
                whens.append((row_key.in_([_text(c) for c in full]), value))
            whens += [(row_key == _text(c), mask.sql(value)) for c, mask in masked.items()]
            whens.append((row_key.in_([_text(c) for c in known]), null()))
            return type_coerce(case(*whens, else_=unknown(row_key)), Text)

        return value_of

    def noted(row: Any, row_key: Any) -> Any:
        whens: list[Any] = [(and_(*(row[c].is_(None) for c in spec.columns)), null())]
        if audited:
            whens.append((row_key.in_([_text(c) for c in audited]), row_key))
        whens.append((row_key.in_([_text(c) for c in known]), null()))
        return type_coerce(case(*whens, else_=unknown(row_key)), Text)

    return _Redacted(key, {column: shown(column) for column in spec.columns}, noted, audited)


def _boolean(value: bool) -> Any:
    return literal_column("true" if value else "false", Boolean)


def _written_arguments(bound: Bound) -> dict[str, Any]:
    """The field's arguments (GraphQL names, defaults applied) when the document writes them all;
    an argument given by a variable changes per request, so the statement cannot inline it."""
    shape = bound.shape
    assert shape.definition is not None
    for argument in shape.node.arguments or ():
        if _has_variable(argument.value):
            raise _NoJson(f"{shape.coordinate}: an argument given by a variable")
    return get_argument_values(shape.definition, shape.node, None)


def _has_variable(value: ValueNode) -> bool:
    if isinstance(value, VariableNode):
        return True
    nested = [*getattr(value, "values", ()), *(f.value for f in getattr(value, "fields", ()))]
    return any(_has_variable(item) for item in nested)


# Above this many stored values, a CASE is too long to evaluate row by row: a JSON object keyed
# by the stored value is looked up instead (the industry code list has about 2,000 codes).
_LARGEST_CASE = 32


def _cases(bound: Bound, column: Any, domain: Mapping[Any, Any]) -> Any:
    """The value's JSON for each stored value of ``column`` (written once, when planned).

    A stored value outside the domain (say, a code since removed from the code list) makes the
    statement fail, as an invalid JSON text: the planned read is then answered by the resolvers,
    which build that value in Python; the failure is counted and logged.
    """
    outside_text = func.concat(literal_column("'not in the domain: '"), column)
    if len(domain) > _LARGEST_CASE and all(isinstance(stored, str) for stored in domain):
        # Each value's JSON as text (jsonb would reorder an object's keys, and the response keeps
        # the selection's order), looked up by key in a jsonb object. Written into the statement's
        # text, not sent as a parameter with every request: the prepared statement holds it once.
        # Our own data, its quotes doubled.
        table = orjson.dumps(
            {stored: orjson.dumps(_python_json(bound, value)).decode() for stored, value in domain.items()}
        ).decode()
        lookup = literal_column("'" + table.replace("'", "''") + "'::jsonb").op("->>")(column)
        return cast(func.coalesce(lookup, outside_text), JSON)
    whens = {
        stored: cast(literal(orjson.dumps(_python_json(bound, value)).decode()), JSON)
        for stored, value in domain.items()
    }
    return case(whens, value=column, else_=cast(outside_text, JSON))


def _python_json(bound: Bound, value: Any) -> Any:
    """What the response holds for ``value`` with ``bound``'s selection: plain fields only."""
    if value is None:
        if not bound.shape.nullable:
            raise _NoJson(f"{bound.shape.coordinate}: null for a non-null field")
        return None
    if bound.shape.is_list:
        return [_python_item(bound, item) for item in value]
    return _python_item(bound, value)


def _python_item(bound: Bound, value: Any) -> Any:
    if bound.serialize is not None:
        return bound.serialize(value)
    out: dict[str, Any] = {}
    for child in bound.children:
        shape = child.shape
        if shape.definition is None:
            out[shape.key] = shape.parent
        elif child.action is not Action.PASS or shape.read is None:
            raise _NoJson(f"{shape.coordinate} is not a plain field")
        else:
            out[shape.key] = _python_json(child, shape.read(value))
    return out


def _limit(parameter: str) -> Any:
    return bindparam(parameter, type_=Integer)


def _columns_below(bound: Bound) -> list[str]:
    """The columns a related row must carry for the fields selected of it."""
    names: list[str] = []
    for child in bound.children:
        shape = child.shape
        declared = shape.declared
        if shape.definition is None:
            continue
        if declared is None:
            names.append(getattr(shape.read, "relay_column", "id") if getattr(shape.read, "relay_type", None)
                         else shape.python_name)
            continue
        reading = declared.reading
        if isinstance(reading, Column):
            names.append(reading.column)
        elif isinstance(reading, Projection):
            names += [*(reading.sql or {}).values(), *reading.null_if]
        elif isinstance(reading, (Related, Lookup)):
            names.append(reading.key)
    return names


def node_sql(node: Bound) -> NodeSql | None:
    """The customer node as the database builds it (over the customer table), or None when a
    field needs Python."""
    builder = _Builder()
    try:
        expression = cast(builder.object(node, Customer.__table__.c, 0, None), Text)
    except (_NoJson, NoSqlForm) as why:
        log.debug("the node is built in Python: %s", why)
        return None
    return NodeSql(
        expression, tuple(builder.denied), tuple(builder.noted), tuple(builder.flags), tuple(builder.limits)
    )


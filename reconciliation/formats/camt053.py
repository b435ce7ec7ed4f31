"""The bank's ISO 20022 camt.053 end-of-day statement (``docs/formats/bank-statement.md``):
read the transactions on the CNSS collection account, and write statements for the simulator.

Versions ``camt.053.001.02`` to ``.08`` are read. They differ where reconciliation looks:

- ``Ntry/Sts`` is a bare code (``<Sts>BOOK</Sts>``) up to .06 and a choice
  (``<Sts><Cd>BOOK</Cd></Sts>``) from .07;
- ``TxDtls`` has its own ``Amt``/``CdtDbtInd`` from .03 (.02 has only ``AmtDtls/TxAmt/Amt``);
- the debtor's name is ``RltdPties/Dbtr/Nm`` up to .07 and ``RltdPties/Dbtr/Pty/Nm`` in .08.

The reader accepts every shape in every version (banks mix them); the writer produces the
shape of the version asked for. Only booked entries count: pending or informational ones are
skipped. One ``Ntry`` batching several ``TxDtls`` becomes one BankCredit per ``TxDtls``
(``AcctSvcrRef/1``, ``/2``…), and their amounts must add up to the entry's.

The XML is parsed with defusedxml and any DTD is refused: a statement never needs one, and
entity declarations are how external-entity and billion-laughs attacks get in.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from xml.etree import ElementTree as StdElementTree
from xml.etree.ElementTree import Element

import defusedxml
import defusedxml.ElementTree as SafeElementTree

from agent_api.errors import ValidationFailed
from reconciliation.formats.amounts import format_point, parse_decimal_point
from reconciliation.model import BankCredit

NAMESPACE_PREFIX = "urn:iso:std:iso:20022:tech:xsd:camt.053.001."
VERSIONS = ("02", "03", "04", "05", "06", "07", "08")
REFUSED = "bank_statement_refused"
CURRENCY = "MAD"
NOT_PROVIDED = "NOTPROVIDED"  # what banks put in EndToEndId when the payer gave none
BOOKED = "BOOK"


@dataclass(frozen=True, slots=True)
class BankStatement:
    """One accepted bank statement, camt.053 or CSV: its transactions in document order."""

    statement_id: str  # Stmt/Id of the first statement; the file name's stem for a CSV
    version: str  # "02".."08" for camt.053, "" for a CSV
    credits: list[BankCredit]
    digest: str  # SHA-256 of the raw bytes
    source: str = ""
    kind: str = "camt053"  # or "csv"


def parse_camt053(data: bytes, *, source: str = "") -> BankStatement:
    """Read a camt.053 statement, or raise ``ValidationFailed(code="bank_statement_refused")``
    naming the entry and what is wrong; nothing is returned from a refused statement."""
    digest = hashlib.sha256(data).hexdigest()
    prefix = f"{source}: " if source else ""
    # XML allows nothing before its declaration; a BOM or blank lines a bank's export tool
    # left there are harmless, so they are skipped rather than refused.
    body = data.removeprefix(b"\xef\xbb\xbf").lstrip()
    try:
        root = SafeElementTree.fromstring(body, forbid_dtd=True)
    except defusedxml.DefusedXmlException as exc:
        raise _refused(
            f"{prefix}the document declares a DTD or entities ({type(exc).__name__}); "
            "a bank statement needs none, so it is refused as unsafe",
            "xml",
        ) from None
    except SafeElementTree.ParseError as exc:
        raise _refused(f"{prefix}not well-formed XML ({exc})", "xml") from None

    names = _Names.of(root, prefix)
    statements = root.findall(names.path("BkToCstmrStmt/Stmt"))
    if not statements:
        raise _refused(f"{prefix}the document has no BkToCstmrStmt/Stmt", "Stmt")
    credits: list[BankCredit] = []
    for statement in statements:
        statement_id = names.text(statement, "Id")
        for number, entry in enumerate(statement.iterfind(names.path("Ntry")), start=1):
            credits += _entry_credits(entry, names, f"{prefix}Stmt {statement_id!r}, Ntry {number}")
    return BankStatement(
        statement_id=names.text(statements[0], "Id"),
        version=names.version,
        credits=credits,
        digest=digest,
        source=source,
        kind="camt053",
    )


def _refused(message: str, field: str) -> ValidationFailed:
    return ValidationFailed(f"{message}; the bank statement is refused", code=REFUSED, field=field)


@dataclass(frozen=True, slots=True)
class _Names:
    """Qualified tag names of one camt.053 version's namespace."""

    namespace: str
    version: str

    @classmethod
    def of(cls, root: Element, prefix: str) -> _Names:
        namespace, _, local = root.tag[1:].partition("}") if root.tag[:1] == "{" else ("", "", "")
        if local != "Document":
            raise _refused(
                f"{prefix}the root element is {root.tag!r}, not a camt.053 Document", "Document"
            )
        version = namespace.removeprefix(NAMESPACE_PREFIX)
        if not namespace.startswith(NAMESPACE_PREFIX) or version not in VERSIONS:
            raise _refused(
                f"{prefix}namespace {namespace!r} is not camt.053.001.02 to .08", "Document"
            )
        return cls(namespace, version)

    def path(self, path: str) -> str:
        return "/".join(f"{{{self.namespace}}}{step}" for step in path.split("/"))

    def find(self, node: Element, path: str) -> Element | None:
        return node.find(self.path(path))

    def text(self, node: Element, path: str) -> str:
        found = node.find(self.path(path))
        return (found.text or "").strip() if found is not None else ""

    def texts(self, node: Element, path: str) -> list[str]:
        return [(found.text or "").strip() for found in node.iterfind(self.path(path))]


def _entry_credits(entry: Element, names: _Names, label: str) -> list[BankCredit]:
    """The BankCredits of one booked Ntry (none for a pending or informational one)."""
    reference = names.text(entry, "AcctSvcrRef") or names.text(entry, "NtryRef")
    if reference:
        label = f"{label} ({reference})"
    status = _status(entry, names, label)
    if status != BOOKED:
        return []  # pending (PDNG), informational (INFO) or future (FUTR): no money yet
    if not reference:
        raise _refused(f"{label}: the entry has neither AcctSvcrRef nor NtryRef", "AcctSvcrRef")
    amount = _amount(entry, names, label)
    if amount is None:
        raise _refused(f"{label}: the entry has no Amt", "Amt")
    credit = _direction(names.text(entry, "CdtDbtInd"), label)
    booking_date = _date(entry, names, "BookgDt", label) or _date(entry, names, "ValDt", label)
    if booking_date is None:
        raise _refused(f"{label}: the entry has no BookgDt", "BookgDt")
    value_date = _date(entry, names, "ValDt", label)

    details = entry.findall(names.path("NtryDtls/TxDtls"))
    if not details:
        return [
            BankCredit(
                bank_reference=reference,
                booking_date=booking_date,
                value_date=value_date,
                amount_centimes=amount,
                credit=credit,
                end_to_end_id=None,
                # With no transaction details, the entry's free text is all there is to read.
                remittance=names.text(entry, "AddtlNtryInf"),
                debtor="",
            )
        ]

    credits: list[BankCredit] = []
    for number, detail in enumerate(details, start=1):
        where = f"{label}, TxDtls {number}"
        tx_amount = _amount(detail, names, where)
        if tx_amount is None:
            if len(details) > 1:
                raise _refused(
                    f"{where}: a batched transaction without its own amount cannot be split",
                    "TxDtls/Amt",
                )
            tx_amount = amount
        indicator = names.text(detail, "CdtDbtInd")
        end_to_end = names.text(detail, "Refs/EndToEndId")
        credits.append(
            BankCredit(
                bank_reference=reference if len(details) == 1 else f"{reference}/{number}",
                booking_date=booking_date,
                value_date=value_date,
                amount_centimes=tx_amount,
                credit=_direction(indicator, where) if indicator else credit,
                end_to_end_id=None if end_to_end in ("", NOT_PROVIDED) else end_to_end,
                remittance=_remittance(detail, names),
                debtor=names.text(detail, "RltdPties/Dbtr/Nm")
                or names.text(detail, "RltdPties/Dbtr/Pty/Nm"),
            )
        )
    details_sum = sum(_signed(c) for c in credits)
    entry_sum = amount if credit else -amount
    if details_sum != entry_sum:
        raise _refused(
            f"{label}: its {len(credits)} transactions add up to {format_point(abs(details_sum))} "
            f"{'CRDT' if details_sum >= 0 else 'DBIT'}, the entry says {format_point(amount)} "
            f"{'CRDT' if credit else 'DBIT'}",
            "TxDtls/Amt",
        )
    return credits


def _signed(credit: BankCredit) -> int:
    return credit.amount_centimes if credit.credit else -credit.amount_centimes


def _status(entry: Element, names: _Names, label: str) -> str:
    status = names.find(entry, "Sts")
    if status is None:
        raise _refused(f"{label}: the entry has no Sts", "Sts")
    code = names.text(status, "Cd") or names.text(status, "Prtry")
    return code or (status.text or "").strip()


def _amount(node: Element, names: _Names, label: str) -> int | None:
    """``Amt`` (or, for a .02 TxDtls, ``AmtDtls/TxAmt/Amt``) in centimes, None when absent;
    MAD only."""
    found = names.find(node, "Amt")
    if found is None:
        found = names.find(node, "AmtDtls/TxAmt/Amt")
    if found is None:
        return None
    currency = found.get("Ccy", "")
    if currency != CURRENCY:
        raise _refused(
            f"{label}: the amount is in {currency or 'no currency'!r}, not {CURRENCY}", "Amt"
        )
    return parse_decimal_point(found.text or "", field="Amt", where=label, code=REFUSED)


def _direction(indicator: str, label: str) -> bool:
    if indicator == "CRDT":
        return True
    if indicator == "DBIT":
        return False
    raise _refused(f"{label}: CdtDbtInd is {indicator!r}, expected CRDT or DBIT", "CdtDbtInd")


def _date(entry: Element, names: _Names, element: str, label: str) -> date | None:
    """``<BookgDt>`` / ``<ValDt>``: a ``Dt``, or a ``DtTm`` whose date (as the bank wrote it,
    in its own time zone) is the day; None when the element is absent."""
    text = names.text(entry, f"{element}/Dt") or names.text(entry, f"{element}/DtTm")
    if not text:
        return None
    try:
        # An xs:date may carry a zone ("2026-11-23+01:00"); the day is the first ten.
        return date.fromisoformat(text[:10])
    except ValueError:
        raise _refused(f"{label}: {element} {text!r} is not a date", element) from None


def _remittance(detail: Element, names: _Names) -> str:
    """Every ``Ustrd`` line, then every structured creditor reference, joined by spaces:
    networks quote the settlement reference in whichever the bank kept."""
    parts = names.texts(detail, "RmtInf/Ustrd")
    parts += names.texts(detail, "RmtInf/Strd/CdtrRefInf/Ref")
    return " ".join(part for part in parts if part)


# --- writing -------------------------------------------------------------------------------


def write_camt053(
    statement_id: str,
    created_at: datetime,
    credits: Iterable[BankCredit],
    *,
    version: str = "08",
    account: str = "CNSS-COLLECTION",
) -> bytes:
    """A camt.053 statement of these transactions in the given version's shape.

    Transactions whose references are ``X/1``…``X/n`` (n ≥ 2, same dates) are written as
    one ``Ntry`` ``X`` batching n ``TxDtls``, in suffix order, where the first of them stood;
    every other transaction is an ``Ntry`` of its own. Reading the result gives back the same
    transactions (an absent EndToEndId is written ``NOTPROVIDED``)."""
    if version not in VERSIONS:
        raise ValueError(f"camt.053 version {version!r} is not one of {', '.join(VERSIONS)}")
    namespace = NAMESPACE_PREFIX + version
    writer = _Writer(namespace, version)
    document = writer.element("Document")
    statement_root = writer.child(document, "BkToCstmrStmt")
    header = writer.child(statement_root, "GrpHdr")
    stamp = created_at.isoformat(timespec="seconds")
    writer.child(header, "MsgId", statement_id)
    writer.child(header, "CreDtTm", stamp)
    statement = writer.child(statement_root, "Stmt")
    writer.child(statement, "Id", statement_id)
    writer.child(statement, "CreDtTm", stamp)
    account_node = writer.child(statement, "Acct")
    writer.child(writer.child(writer.child(account_node, "Id"), "Othr"), "Id", account)
    writer.child(account_node, "Ccy", CURRENCY)

    entries = _entries(list(credits), version)
    net = sum(_signed(c) for group in entries for c in group[1])
    # Bal is mandatory: an opening balance of zero and a closing one of the day's net.
    writer.balance(statement, "OPBD", 0, created_at.date())
    writer.balance(statement, "CLBD", net, created_at.date())
    for reference, group in entries:
        writer.entry(statement, reference, group)

    StdElementTree.indent(document)
    body = StdElementTree.tostring(document, encoding="unicode")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{body}\n'.encode()


def _entries(credits: Sequence[BankCredit], version: str) -> list[tuple[str, list[BankCredit]]]:
    """(AcctSvcrRef, its transactions) per Ntry to write, in order of first appearance."""
    by_prefix: dict[str, list[BankCredit]] = {}
    for credit in credits:
        prefix, slash, suffix = credit.bank_reference.rpartition("/")
        if slash and prefix and suffix.isascii() and suffix.isdigit():
            by_prefix.setdefault(prefix, []).append(credit)
    batches: dict[int, tuple[str, list[BankCredit]]] = {}
    batched: set[int] = set()
    for prefix, members in by_prefix.items():
        ordered = sorted(members, key=lambda c: int(c.bank_reference.rpartition("/")[2]))
        numbers = [int(c.bank_reference.rpartition("/")[2]) for c in ordered]
        same_dates = len({(c.booking_date, c.value_date) for c in ordered}) == 1
        # .02 has no per-transaction CdtDbtInd: a batch there must go one way.
        one_way = version != "02" or len({c.credit for c in ordered}) == 1
        complete = len(ordered) >= 2 and numbers == list(range(1, len(ordered) + 1))
        if complete and same_dates and one_way:
            batches[id(members[0])] = (prefix, ordered)
            batched.update(id(c) for c in ordered)
    result: list[tuple[str, list[BankCredit]]] = []
    for credit in credits:
        if id(credit) in batches:
            result.append(batches[id(credit)])
        elif id(credit) not in batched:
            result.append((credit.bank_reference, [credit]))
    return result


class _Writer:
    def __init__(self, namespace: str, version: str) -> None:
        self.namespace = namespace
        self.version = version

    def element(self, name: str) -> Element:
        # Unqualified tags under an xmlns attribute: ElementTree's default_namespace option
        # cannot serialise the unqualified Ccy attribute beside qualified tags.
        return Element(name, xmlns=self.namespace)

    def child(self, parent: Element, name: str, text: str | None = None) -> Element:
        node = StdElementTree.SubElement(parent, name)
        if text is not None:
            node.text = text
        return node

    def amount(self, parent: Element, name: str, centimes: int) -> None:
        self.child(parent, name, format_point(centimes)).set("Ccy", CURRENCY)

    def balance(self, statement: Element, code: str, signed: int, day: date) -> None:
        balance = self.child(statement, "Bal")
        self.child(self.child(self.child(balance, "Tp"), "CdOrPrtry"), "Cd", code)
        self.amount(balance, "Amt", abs(signed))
        self.child(balance, "CdtDbtInd", "CRDT" if signed >= 0 else "DBIT")
        self.child(self.child(balance, "Dt"), "Dt", day.isoformat())

    def entry(self, statement: Element, reference: str, group: list[BankCredit]) -> None:
        first = group[0]
        signed = sum(_signed(c) for c in group)
        directions = {c.credit for c in group}
        # One-way (always so in .02): the transactions' direction, even for a zero amount.
        incoming = directions.pop() if len(directions) == 1 else signed >= 0
        entry = self.child(statement, "Ntry")
        self.amount(entry, "Amt", abs(signed))
        self.child(entry, "CdtDbtInd", "CRDT" if incoming else "DBIT")
        if self.version < "07":
            self.child(entry, "Sts", BOOKED)
        else:
            self.child(self.child(entry, "Sts"), "Cd", BOOKED)
        self.child(self.child(entry, "BookgDt"), "Dt", first.booking_date.isoformat())
        if first.value_date is not None:
            self.child(self.child(entry, "ValDt"), "Dt", first.value_date.isoformat())
        self.child(entry, "AcctSvcrRef", reference)
        # BkTxCd is mandatory: a SEPA-style credit transfer received (or issued).
        domain = self.child(self.child(entry, "BkTxCd"), "Domn")
        self.child(domain, "Cd", "PMNT")
        family = self.child(domain, "Fmly")
        self.child(family, "Cd", "RCDT" if incoming else "ICDT")
        self.child(family, "SubFmlyCd", "ESCT")
        details = self.child(entry, "NtryDtls")
        for transaction in group:
            self.transaction(details, transaction)

    def transaction(self, details: Element, credit: BankCredit) -> None:
        transaction = self.child(details, "TxDtls")
        refs = self.child(transaction, "Refs")
        self.child(refs, "EndToEndId", credit.end_to_end_id or NOT_PROVIDED)
        if self.version == "02":
            self.amount(
                self.child(self.child(transaction, "AmtDtls"), "TxAmt"),
                "Amt",
                credit.amount_centimes,
            )
        else:
            self.amount(transaction, "Amt", credit.amount_centimes)
            self.child(transaction, "CdtDbtInd", "CRDT" if credit.credit else "DBIT")
        if credit.debtor:
            debtor = self.child(self.child(transaction, "RltdPties"), "Dbtr")
            if self.version == "08":
                debtor = self.child(debtor, "Pty")
            self.child(debtor, "Nm", credit.debtor)
        if credit.remittance:
            self.child(self.child(transaction, "RmtInf"), "Ustrd", credit.remittance)

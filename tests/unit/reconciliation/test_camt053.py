"""The bank's camt.053 statement: read safely in versions .02 to .08, money exact to the
centime, and written back in each version's shape for the simulator."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agent_api.errors import ValidationFailed
from reconciliation.formats import read_bank_statement
from reconciliation.formats.amounts import format_point, parse_decimal_point
from reconciliation.formats.camt053 import VERSIONS, parse_camt053, write_camt053
from reconciliation.model import BankCredit

SAMPLE_FILE = Path(__file__).parents[3] / "docs" / "formats" / "sample-camt053.xml"
SETTINGS = settings(max_examples=60, deadline=None, database=None)
CREATED = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
NS = "urn:iso:std:iso:20022:tech:xsd:camt.053.001."


# docs/formats/sample-camt053.xml, the counterparts' published example, kept here verbatim
# so that a change to either copy is noticed.
SAMPLE = """<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">
  <BkToCstmrStmt>
    <GrpHdr>
      <MsgId>STMT-20261123-0001</MsgId>
      <CreDtTm>2026-11-23T06:00:00+01:00</CreDtTm>
    </GrpHdr>
    <Stmt>
      <Id>CNSS-COLLECT-20261123</Id>
      <CreDtTm>2026-11-23T06:00:00+01:00</CreDtTm>
      <Acct>
        <Id><Othr><Id>011780000012345678901234</Id></Othr></Id>
        <Ccy>MAD</Ccy>
        <Ownr><Nm>CAISSE NATIONALE DE SECURITE SOCIALE</Nm></Ownr>
      </Acct>
      <Bal>
        <Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp>
        <Amt Ccy="MAD">1000000.00</Amt>
        <CdtDbtInd>CRDT</CdtDbtInd>
        <Dt><Dt>2026-11-23</Dt></Dt>
      </Bal>
      <Bal>
        <Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp>
        <Amt Ccy="MAD">1412765.50</Amt>
        <CdtDbtInd>CRDT</CdtDbtInd>
        <Dt><Dt>2026-11-23</Dt></Dt>
      </Bal>
      <Ntry>
        <Amt Ccy="MAD">284310.50</Amt>
        <CdtDbtInd>CRDT</CdtDbtInd>
        <Sts><Cd>BOOK</Cd></Sts>
        <BookgDt><Dt>2026-11-23</Dt></BookgDt>
        <ValDt><Dt>2026-11-23</Dt></ValDt>
        <AcctSvcrRef>BK2611230001</AcctSvcrRef>
        <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>
        <NtryDtls><TxDtls>
          <Refs><EndToEndId>QURB-STL-CASHPLUS-20261122</EndToEndId></Refs>
          <Amt Ccy="MAD">284310.50</Amt>
          <RltdPties><Dbtr><Nm>CASH PLUS SA</Nm></Dbtr></RltdPties>
          <RmtInf><Ustrd>REGLEMENT CNSS AMO TNS 22/11/2026</Ustrd></RmtInf>
        </TxDtls></NtryDtls>
      </Ntry>
      <Ntry>
        <Amt Ccy="MAD">98445.00</Amt>
        <CdtDbtInd>CRDT</CdtDbtInd>
        <Sts><Cd>BOOK</Cd></Sts>
        <BookgDt><Dt>2026-11-23</Dt></BookgDt>
        <ValDt><Dt>2026-11-23</Dt></ValDt>
        <AcctSvcrRef>BK2611230002</AcctSvcrRef>
        <NtryDtls><TxDtls>
          <Refs><EndToEndId>NOTPROVIDED</EndToEndId></Refs>
          <Amt Ccy="MAD">98445.00</Amt>
          <RltdPties><Dbtr><Nm>WAFACASH</Nm></Dbtr></RltdPties>
          <RmtInf><Ustrd>VIR QURB-STL-WAFACASH-20261122 CNSS</Ustrd></RmtInf>
        </TxDtls></NtryDtls>
      </Ntry>
      <Ntry>
        <Amt Ccy="MAD">30010.00</Amt>
        <CdtDbtInd>CRDT</CdtDbtInd>
        <Sts><Cd>BOOK</Cd></Sts>
        <BookgDt><Dt>2026-11-23</Dt></BookgDt>
        <ValDt><Dt>2026-11-23</Dt></ValDt>
        <AcctSvcrRef>BK2611230003</AcctSvcrRef>
        <NtryDtls><TxDtls>
          <Refs><EndToEndId>QURB-STL-BARIDCASH-20261122</EndToEndId></Refs>
          <Amt Ccy="MAD">30010.00</Amt>
          <RltdPties><Dbtr><Nm>BARID CASH</Nm></Dbtr></RltdPties>
        </TxDtls></NtryDtls>
      </Ntry>
    </Stmt>
  </BkToCstmrStmt>
</Document>
"""


def sample_bytes() -> bytes:
    return SAMPLE.encode()


def test_the_copy_of_the_sample_is_the_published_one() -> None:
    assert SAMPLE_FILE.read_text(encoding="utf-8") == SAMPLE


def document(entries: str, *, version: str = "08") -> bytes:
    """A minimal statement holding these ``<Ntry>`` elements."""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Document xmlns="{NS}{version}">'
        "<BkToCstmrStmt><GrpHdr><MsgId>M1</MsgId><CreDtTm>2026-11-23T06:00:00</CreDtTm>"
        "</GrpHdr><Stmt><Id>STMT-1</Id><Acct><Id><Othr><Id>1</Id></Othr></Id></Acct>"
        f"{entries}</Stmt></BkToCstmrStmt></Document>"
    ).encode()


def entry(
    amount: str = "100.00",
    *,
    details: str = "",
    status: str = "<Sts><Cd>BOOK</Cd></Sts>",
    currency: str = "MAD",
    reference: str = "BK1",
    indicator: str = "CRDT",
) -> str:
    return (
        f'<Ntry><Amt Ccy="{currency}">{amount}</Amt><CdtDbtInd>{indicator}</CdtDbtInd>'
        f"{status}<BookgDt><Dt>2026-11-23</Dt></BookgDt><ValDt><Dt>2026-11-23</Dt></ValDt>"
        f"<AcctSvcrRef>{reference}</AcctSvcrRef>"
        f"{f'<NtryDtls>{details}</NtryDtls>' if details else ''}</Ntry>"
    )


def transaction(amount: str | None, *, end_to_end: str = "NOTPROVIDED", extra: str = "") -> str:
    amount_xml = f'<Amt Ccy="MAD">{amount}</Amt>' if amount is not None else ""
    return f"<TxDtls><Refs><EndToEndId>{end_to_end}</EndToEndId></Refs>{amount_xml}{extra}</TxDtls>"


def refusal(data: bytes) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as caught:
        parse_camt053(data, source="releve.xml")
    assert caught.value.code == "bank_statement_refused"
    return caught.value


# --- the shared sample --------------------------------------------------------------------


def test_the_sample_statement_reads_as_its_three_settlement_credits() -> None:
    statement = parse_camt053(sample_bytes(), source="sample-camt053.xml")

    assert statement.statement_id == "CNSS-COLLECT-20261123"
    assert statement.version == "08"
    assert statement.kind == "camt053"
    assert [
        (c.bank_reference, c.amount_centimes, c.credit, c.end_to_end_id, c.debtor)
        for c in statement.credits
    ] == [
        ("BK2611230001", 28431050, True, "QURB-STL-CASHPLUS-20261122", "CASH PLUS SA"),
        ("BK2611230002", 9844500, True, None, "WAFACASH"),
        ("BK2611230003", 3001000, True, "QURB-STL-BARIDCASH-20261122", "BARID CASH"),
    ]
    assert all(c.booking_date == date(2026, 11, 23) for c in statement.credits)
    assert all(c.value_date == date(2026, 11, 23) for c in statement.credits)


def test_a_reference_quoted_only_in_the_remittance_text_is_still_found() -> None:
    wafacash = parse_camt053(sample_bytes()).credits[1]
    assert wafacash.end_to_end_id is None  # the bank wrote NOTPROVIDED
    assert wafacash.remittance == "VIR QURB-STL-WAFACASH-20261122 CNSS"
    assert wafacash.settlement_reference() == ("WAFACASH", date(2026, 11, 22))


def test_the_sample_is_recognised_as_camt053_by_its_first_character() -> None:
    data = b"\xef\xbb\xbf \r\n" + sample_bytes()
    assert read_bank_statement(data, source="x.xml").kind == "camt053"


# --- versions and shapes ------------------------------------------------------------------


def test_the_version_02_shapes_are_read() -> None:
    details = (
        "<TxDtls><Refs><EndToEndId>QURB-STL-CASHPLUS-20261122</EndToEndId></Refs>"
        '<AmtDtls><TxAmt><Amt Ccy="MAD">100.00</Amt></TxAmt></AmtDtls>'
        "<RltdPties><Dbtr><Nm>CASH PLUS SA</Nm></Dbtr></RltdPties></TxDtls>"
    )
    data = document(entry(details=details, status="<Sts>BOOK</Sts>"), version="02")
    statement = parse_camt053(data)
    assert statement.version == "02"
    [credit] = statement.credits
    assert credit.amount_centimes == 10000
    assert credit.debtor == "CASH PLUS SA"
    assert credit.settlement_reference() == ("CASHPLUS", date(2026, 11, 22))


def test_unstructured_and_structured_remittance_are_joined_by_spaces() -> None:
    remittance = (
        "<RmtInf><Ustrd>REGLEMENT</Ustrd><Ustrd>CNSS</Ustrd>"
        "<Strd><CdtrRefInf><Ref>QURB-STL-DAMANE-20261122</Ref></CdtrRefInf></Strd></RmtInf>"
    )
    data = document(entry(details=transaction("100.00", extra=remittance)))
    [credit] = parse_camt053(data).credits
    assert credit.remittance == "REGLEMENT CNSS QURB-STL-DAMANE-20261122"
    assert credit.settlement_reference() == ("DAMANE", date(2026, 11, 22))


def test_pending_and_informational_entries_are_not_counted() -> None:
    data = document(
        entry(reference="BK1")
        + entry(reference="BK2", status="<Sts><Cd>PDNG</Cd></Sts>")
        + entry(reference="BK3", status="<Sts>INFO</Sts>")
    )
    assert [c.bank_reference for c in parse_camt053(data).credits] == ["BK1"]


def test_an_entry_without_transaction_details_is_one_transaction() -> None:
    data = document(
        entry("250.5", reference="BK9").replace(
            "</Ntry>", "<AddtlNtryInf>VIR X</AddtlNtryInf></Ntry>"
        )
    )
    [credit] = parse_camt053(data).credits
    assert credit.bank_reference == "BK9"
    assert credit.amount_centimes == 25050
    assert credit.end_to_end_id is None
    assert credit.remittance == "VIR X"


def test_a_booking_date_given_with_a_time_is_that_day() -> None:
    data = document(entry()).replace(
        b"<BookgDt><Dt>2026-11-23</Dt>", b"<BookgDt><DtTm>2026-11-24T00:30:00+01:00</DtTm>"
    )
    assert parse_camt053(data).credits[0].booking_date == date(2026, 11, 24)


def test_a_batched_entry_becomes_one_transaction_per_detail() -> None:
    details = transaction("60.00", end_to_end="QURB-STL-A-20261122") + transaction(
        "40.00", end_to_end="QURB-STL-B-20261122"
    )
    credits = parse_camt053(document(entry("100.00", details=details))).credits
    assert [(c.bank_reference, c.amount_centimes, c.end_to_end_id) for c in credits] == [
        ("BK1/1", 6000, "QURB-STL-A-20261122"),
        ("BK1/2", 4000, "QURB-STL-B-20261122"),
    ]


def test_amounts_that_floats_would_round_add_up_exactly() -> None:
    details = transaction("0.10") + transaction("0.20")
    credits = parse_camt053(document(entry("0.30", details=details))).credits
    assert [c.amount_centimes for c in credits] == [10, 20]
    assert sum(c.amount_centimes for c in credits) == 30


def test_batched_details_that_do_not_add_up_to_the_entry_refuse_the_statement() -> None:
    details = transaction("60.00") + transaction("40.01")
    error = refusal(document(entry("100.00", details=details)))
    assert "Ntry 1 (BK1)" in error.message
    assert "100.01" in error.message
    assert "100.00" in error.message


def test_a_batched_detail_without_its_own_amount_refuses_the_statement() -> None:
    error = refusal(document(entry("100.00", details=transaction(None) + transaction("40.00"))))
    assert "TxDtls 1" in error.message


# --- refusals -----------------------------------------------------------------------------


def test_an_amount_in_another_currency_is_refused_naming_the_entry() -> None:
    error = refusal(document(entry(reference="BK1") + entry(reference="BK7", currency="EUR")))
    assert error.field == "Amt"
    assert "Ntry 2 (BK7)" in error.message
    assert "'EUR'" in error.message


def test_a_detail_amount_in_another_currency_is_refused() -> None:
    details = transaction("100.00").replace('Ccy="MAD"', 'Ccy="USD"')
    assert "'USD'" in refusal(document(entry(details=details))).message


@pytest.mark.parametrize(
    "namespace", [f"{NS}01", f"{NS}09", "urn:iso:std:iso:20022:tech:xsd:camt.052.001.08"]
)
def test_a_namespace_outside_053_02_to_08_is_refused_naming_it(namespace: str) -> None:
    data = document(entry()).replace(f"{NS}08".encode(), namespace.encode())
    assert namespace in refusal(data).message


def test_a_document_without_namespace_is_refused() -> None:
    data = document(entry()).replace(f' xmlns="{NS}08"'.encode(), b"")
    assert "not a camt.053 Document" in refusal(data).message


XXE = b"""<?xml version="1.0"?>
<!DOCTYPE Document [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt><Stmt>
<Id>&xxe;</Id></Stmt></BkToCstmrStmt></Document>"""

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">&lol4;</Document>"""


@pytest.mark.parametrize("attack", [XXE, BILLION_LAUGHS], ids=["xxe", "billion-laughs"])
def test_a_document_declaring_entities_is_refused_unread(attack: bytes) -> None:
    error = refusal(attack)
    assert error.field == "xml"
    assert "unsafe" in error.message


def test_xml_that_is_not_well_formed_is_refused() -> None:
    assert "not well-formed" in refusal(document(entry())[:-20]).message


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (("<CdtDbtInd>CRDT</CdtDbtInd>", "<CdtDbtInd>CR</CdtDbtInd>"), "CdtDbtInd"),
        (("<Sts><Cd>BOOK</Cd></Sts>", ""), "Sts"),
        (("<Dt>2026-11-23</Dt></BookgDt>", "<Dt>23/11/2026</Dt></BookgDt>"), "BookgDt"),
        ((">100.00<", ">1,00<"), "Amt"),
        ((">100.00<", ">-100.00<"), "Amt"),
        ((">100.00<", ">100.005<"), "Amt"),
    ],
)
def test_a_malformed_entry_refuses_the_statement_naming_the_entry(
    change: tuple[str, str], field: str
) -> None:
    data = document(entry()).replace(change[0].encode(), change[1].encode())
    error = refusal(data)
    assert error.field == field
    assert "releve.xml: Stmt 'STMT-1', Ntry 1 (BK1)" in error.message


@pytest.mark.parametrize(
    ("text", "centimes"),
    [("284310.50", 28431050), ("98445", 9844500), ("1.5", 150), ("1.50000", 150), (" 0.1\n", 10)],
)
def test_an_iso_amount_reads_as_exact_centimes(text: str, centimes: int) -> None:
    assert parse_decimal_point(text, field="Amt") == centimes


@pytest.mark.parametrize("text", ["1.505", "1.000001", "-1.00", "+1.00", "1e3", "1,00", ".5", ""])
def test_an_iso_amount_with_a_fraction_of_a_centime_or_a_sign_is_refused(text: str) -> None:
    with pytest.raises(ValidationFailed, match="Amt"):
        parse_decimal_point(text, field="Amt", where="Ntry 1")


# --- writing ------------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_the_sample_credits_written_in_each_version_read_back_the_same(version: str) -> None:
    credits = parse_camt053(sample_bytes()).credits
    written = write_camt053("STMT-2", CREATED, credits, version=version)
    statement = parse_camt053(written)
    assert statement.version == version
    assert statement.statement_id == "STMT-2"
    assert statement.credits == credits


def test_each_version_is_written_in_its_own_shape() -> None:
    credits = parse_camt053(sample_bytes()).credits
    v02 = write_camt053("S", CREATED, credits, version="02").decode()
    v04 = write_camt053("S", CREATED, credits, version="04").decode()
    v08 = write_camt053("S", CREATED, credits, version="08").decode()
    assert "<Sts>BOOK</Sts>" in v02
    assert "<Sts>BOOK</Sts>" in v04
    assert "<Cd>BOOK</Cd>" in v08.replace("\n", "").replace(" ", "")
    assert "<TxAmt>" in v02
    assert "<TxAmt>" not in v04
    assert "<Pty>" in v08
    assert "<Pty>" not in v04
    assert v08.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<Document xmlns="')


def test_transactions_numbered_under_one_bank_reference_are_written_as_one_batched_entry() -> None:
    first = BankCredit("BKX/1", date(2026, 11, 23), None, 10, True, None, "", "A")
    second = replace(first, bank_reference="BKX/2", amount_centimes=20, debtor="B")
    written = write_camt053("S", CREATED, [first, second])
    assert written.count(b"<Ntry>") == 1
    assert written.count(b"<TxDtls>") == 2
    assert b">0.30<" in written
    assert parse_camt053(written).credits == [first, second]


credits_strategy = st.lists(
    st.builds(
        BankCredit,
        bank_reference=st.sampled_from(["BK1", "BK2", "BK3/1", "BK3/2", "BK3/3", "BK4/1", "BK5/7"]),
        booking_date=st.just(date(2026, 11, 23)),
        value_date=st.none() | st.just(date(2026, 11, 24)),
        amount_centimes=st.integers(min_value=0, max_value=10**12),
        credit=st.booleans(),
        end_to_end_id=st.none()
        | st.from_regex(r"QURB-STL-[A-Z]{3,8}-2026112[0-9]", fullmatch=True),
        remittance=st.sampled_from(["", "VIR QURB-STL-WAFACASH-20261122 CNSS", "RÈGLEMENT تسوية"]),
        debtor=st.sampled_from(["", "CASH PLUS SA", "وفاكاش", "Barid & <Cash>"]),
    ),
    max_size=8,
    unique_by=lambda credit: credit.bank_reference,
)


@SETTINGS
@given(credits=credits_strategy, version=st.sampled_from(VERSIONS))
def test_any_written_statement_reads_back_as_the_same_transactions(
    credits: list[BankCredit], version: str
) -> None:
    # A batch is read back in suffix order: give it in that order.
    credits.sort(key=lambda c: c.bank_reference)
    statement = parse_camt053(write_camt053("S", CREATED, credits, version=version))
    assert statement.credits == credits
    assert format_point(sum(c.amount_centimes for c in statement.credits)) == format_point(
        sum(c.amount_centimes for c in credits)
    )

"""The CNSS claims tracking file, read exactly as CNSS writes it and refused whole when corrupt
(``docs/formats/cnss-claims-tracking.md``)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agent_api.domain.claims import TrackingStatus
from agent_api.errors import ValidationFailed
from reconciliation.formats.tracking import (
    HEADER,
    TrackingEvent,
    parse_tracking,
    parse_tracking_name,
    write_tracking,
)

SETTINGS = settings(max_examples=150, deadline=None, database=None)
HEADER_LINE = ";".join(HEADER)
SOURCE = "CNSS_SUIVI_DOSSIERS_CASHPLUS_20261203.csv"

# The example of the format document, byte for byte (BOM, CRLF).
EXAMPLE = (
    "\ufeff" + HEADER_LINE + "\r\n"
    "V2026120300001;03/12/2026;CASHPLUS;B-CASHPLUS-000041;;;;BORDEREAU_RECU;;\r\n"
    "V2026120300002;03/12/2026;CASHPLUS;B-CASHPLUS-000041;D-CASHPLUS-00001207;1234567894;"
    "AMO26-0088123;RECU;;\r\n"
    "V2026120300003;03/12/2026;CASHPLUS;B-CASHPLUS-000041;D-CASHPLUS-00001208;5720000043;;"
    "NON_RECU;;\r\n"
    "V2026120300004;03/12/2026;CASHPLUS;B-CASHPLUS-000041;;9876543215;AMO26-0088124;RECU;;\r\n"
    "V2026120300005;03/12/2026;CASHPLUS;;D-CASHPLUS-00001150;1234567894;AMO26-0081007;"
    "REMBOURSE;1 034,80;\r\n"
    '"V2026120300006";03/12/2026;CASHPLUS;;D-CASHPLUS-00001151;5550001113;AMO26-0081010;'
    'REJETE;;"R01 - droits fermés; à la date des soins"\r\n'
    "TOTAL;6;1 034,80;;;;;;;\r\n"
).encode()

RECEIVED = "V1;03/12/2026;CASHPLUS;B-1;D-1;1234567894;AMO-1;RECU;;"
PAID = "V2;03/12/2026;CASHPLUS;;D-2;1234567894;AMO-2;REMBOURSE;218,00;"


def tracking(*lines: str, trailer: str | None = None, bom: bool = True) -> bytes:
    """A tracking file of these event lines, with a correct trailer unless one is given."""
    if trailer is None:
        total = sum(
            int(line.split(";")[8].replace(",", "").replace(" ", "") or 0) for line in lines
        )
        trailer = f"TOTAL;{len(lines)};{total // 100},{total % 100:02d};;;;;;;"
    text = "\r\n".join([HEADER_LINE, *lines, trailer]) + "\r\n"
    return ("\ufeff" if bom else "").encode() + text.encode()


def refusal(data: bytes) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as caught:
        parse_tracking(data, source=SOURCE)
    assert caught.value.code == "tracking_file_refused"
    assert "the tracking file is refused" in caught.value.message
    return caught.value


# --- reading ------------------------------------------------------------------------------


def test_the_documented_example_reads_as_its_six_events() -> None:
    read = parse_tracking(EXAMPLE, source=SOURCE)

    assert read.count == 6
    assert read.reimbursed_centimes == 103480
    assert read.networks == ("CASHPLUS",)
    assert read.event_dates == (date(2026, 12, 3),)
    assert read.source == SOURCE
    assert [e.status for e in read.events] == [
        TrackingStatus.SLIP_RECEIVED,
        TrackingStatus.RECEIVED,
        TrackingStatus.NOT_RECEIVED,
        TrackingStatus.RECEIVED,
        TrackingStatus.REIMBURSED,
        TrackingStatus.REFUSED,
    ]
    assert read.events[1] == TrackingEvent(
        event_id="V2026120300002",
        event_date=date(2026, 12, 3),
        network="CASHPLUS",
        slip_number="B-CASHPLUS-000041",
        deposit_number="D-CASHPLUS-00001207",
        registration_number="1234567894",
        cnss_file_number="AMO26-0088123",
        status=TrackingStatus.RECEIVED,
        reimbursed_centimes=None,
        reason_code=None,
        reason_text=None,
        line=3,
    )


def test_the_example_keeps_what_each_status_says() -> None:
    slip, _, missing, unreadable, paid, refused = parse_tracking(EXAMPLE).events

    assert (slip.slip_number, slip.deposit_number, slip.registration_number) == (
        "B-CASHPLUS-000041",
        None,
        None,
    )
    assert missing.cnss_file_number is None
    assert missing.deposit_number == "D-CASHPLUS-00001208"
    # A label CNSS could not read: no deposit number, only the worker and the batch.
    assert unreadable.deposit_number is None
    assert (unreadable.registration_number, unreadable.slip_number) == (
        "9876543215",
        "B-CASHPLUS-000041",
    )
    assert paid.reimbursed_centimes == 103480
    assert paid.slip_number is None
    # The quotes are not part of the id, and the ';' inside the quoted reason is text.
    assert refused.event_id == "V2026120300006"
    assert refused.reason_code == "R01"
    assert refused.reason_text == "droits fermés; à la date des soins"
    assert refused.reason == "R01 - droits fermés; à la date des soins"
    assert refused.reimbursed_centimes is None


def test_the_digest_identifies_the_exact_bytes_received() -> None:
    first = parse_tracking(EXAMPLE)
    assert first.digest == parse_tracking(EXAMPLE).digest
    assert parse_tracking(EXAMPLE.replace(b"\r\n", b"\n")).digest != first.digest


def test_a_file_without_bom_and_with_plain_lf_line_ends_reads_the_same() -> None:
    relaxed = EXAMPLE.removeprefix("\ufeff".encode()).replace(b"\r\n", b"\n")
    assert parse_tracking(relaxed).events == parse_tracking(EXAMPLE).events


@pytest.mark.parametrize("separator", [" ", "\u00a0", "\u202f"])
def test_thousands_may_be_grouped_by_a_space_or_either_no_break_space(separator: str) -> None:
    line = f"V2;03/12/2026;CASHPLUS;;D-2;1;AMO-2;REMBOURSE;12{separator}345,67;"
    data = tracking(line, trailer="TOTAL;1;12345,67;;;;;;;")
    assert parse_tracking(data).events[0].reimbursed_centimes == 1234567


def test_an_arabic_reason_with_quotes_survives_reading() -> None:
    line = 'V1;03/12/2026;CASHPLUS;;D-1;1;AMO-1;INCOMPLET;;"P04 - وصفة ""ناقصة"" - fiche"'
    event = parse_tracking(tracking(line)).events[0]
    assert event.status is TrackingStatus.INCOMPLETE
    assert (event.reason_code, event.reason_text) == ("P04", 'وصفة "ناقصة" - fiche')


def test_blank_lines_are_ignored_before_and_after_the_trailer() -> None:
    data = tracking(RECEIVED, ";;;;;;;;;", "", PAID, trailer="TOTAL;2;218,00;;;;;;;")
    assert parse_tracking(data + b"\r\n;;;;;;;;;\r\n").count == 2


def test_a_trailer_may_drop_its_empty_trailing_fields() -> None:
    assert parse_tracking(tracking(PAID, trailer="TOTAL;1;218,00")).count == 1


def test_a_file_with_no_events_and_a_zero_trailer_is_accepted() -> None:
    read = parse_tracking(tracking(trailer="TOTAL;0;0,00;;;;;;;"))
    assert read.events == []
    assert read.networks == ()


# --- refusing -----------------------------------------------------------------------------


def test_a_trailer_whose_sum_disagrees_refuses_the_whole_file() -> None:
    error = refusal(tracking(RECEIVED, PAID, trailer="TOTAL;2;218,01;;;;;;;"))
    assert error.field == "TOTAL"
    assert f"{SOURCE}, line 4" in error.message
    assert "expected count 2 and sum 218,00" in error.message
    assert "found count 2 and sum 218,01" in error.message


def test_a_trailer_whose_count_disagrees_refuses_the_whole_file() -> None:
    error = refusal(tracking(RECEIVED, trailer="TOTAL;2;0,00;;;;;;;"))
    assert "expected count 1" in error.message
    assert "found count 2" in error.message


@pytest.mark.parametrize(
    ("trailer", "said"),
    [
        ("TOTAL;1;0,00;;;;;;x;", "is not TOTAL;<count>;<sum>"),
        ("TOTAL;1", "is not TOTAL;<count>;<sum>"),
        ("TOTAL;un;0,00;;;;;;;", "count 'un' is not a number"),
        ("TOTAL;1;0.00;;;;;;;", "sum '0.00' is not an amount"),
        ("TOTAL;1;-0,00;;;;;;;", "sum '-0,00' is not an amount"),
    ],
)
def test_a_malformed_trailer_refuses_the_file(trailer: str, said: str) -> None:
    error = refusal(tracking(RECEIVED, trailer=trailer))
    assert error.field == "TOTAL"
    assert said in error.message


def test_a_file_that_ends_without_its_trailer_is_refused() -> None:
    error = refusal(("\ufeff" + HEADER_LINE + "\r\n" + RECEIVED + "\r\n").encode())
    assert error.field == "TOTAL"
    assert "without its TOTAL trailer" in error.message


def test_a_line_after_the_trailer_is_refused() -> None:
    error = refusal(tracking(RECEIVED) + (PAID + "\r\n").encode())
    assert "line 4" in error.message
    assert "follows the TOTAL trailer of line 3" in error.message


def test_the_same_event_id_twice_in_one_file_is_refused() -> None:
    error = refusal(tracking(RECEIVED, PAID, RECEIVED))
    assert error.field == "ID_EVENEMENT"
    assert "line 4" in error.message
    assert "'V1' repeats the one of line 2" in error.message


@pytest.mark.parametrize(
    ("line", "field", "said"),
    [
        ("V9;03/12/2026;CASHPLUS;B-1;D-9;1;AMO-9;RECU;", "format", "9 fields"),
        ("V9;03/12/2026;CASHPLUS;B-1;D-9;1;AMO-9;RECU;;;", "format", "11 fields"),
        (";03/12/2026;CASHPLUS;B-1;D-9;1;AMO-9;RECU;;", "ID_EVENEMENT", "ID_EVENEMENT is empty"),
        ("V9;2026-12-03;CASHPLUS;B-1;D-9;1;AMO-9;RECU;;", "DATE_EVENEMENT", "'2026-12-03'"),
        ("V9;31/11/2026;CASHPLUS;B-1;D-9;1;AMO-9;RECU;;", "DATE_EVENEMENT", "'31/11/2026'"),
        ("V9;03/12/2026;;B-1;D-9;1;AMO-9;RECU;;", "CODE_RESEAU", "CODE_RESEAU is empty"),
        ("V9;03/12/2026;CASHPLUS;B-1;D-9;1;AMO-9;recu;;", "STATUT", "STATUT is 'recu'"),
        ("V9;03/12/2026;CASHPLUS;B-1;D-9;1;AMO-9;PAYE;;", "STATUT", "expected one of"),
        # A batch's acknowledgement names the batch and no file.
        ("V9;03/12/2026;CASHPLUS;;;;;BORDEREAU_RECU;;", "NUM_BORDEREAU", "NUM_BORDEREAU is"),
        ("V9;03/12/2026;CASHPLUS;B-1;D-9;;;BORDEREAU_RECU;;", "NUM_DEPOT", "must be empty"),
        # Each file event names the worker; CNSS's file number exists once it is received.
        ("V9;03/12/2026;CASHPLUS;B-1;D-9;;AMO-9;RECU;;", "NUM_IMMATRICULATION", "is empty"),
        ("V9;03/12/2026;CASHPLUS;B-1;D-9;1;;RECU;;", "NUM_DOSSIER_CNSS", "is empty on a RECU"),
        ("V9;03/12/2026;CASHPLUS;B-1;D-9;1;;EN_COURS;;", "NUM_DOSSIER_CNSS", "is empty"),
        ("V9;03/12/2026;CASHPLUS;B-1;D-9;1;AMO-9;NON_RECU;;", "NUM_DOSSIER_CNSS", "must be"),
        # The amount is REMBOURSE's, the reason INCOMPLET's and REJETE's, and only theirs.
        ("V9;03/12/2026;CASHPLUS;;D-9;1;AMO-9;REMBOURSE;;", "MONTANT_REMBOURSE", "is empty"),
        ("V9;03/12/2026;CASHPLUS;;D-9;1;AMO-9;REMBOURSE;-1,00;", "MONTANT_REMBOURSE", "'-1,00'"),
        ("V9;03/12/2026;CASHPLUS;;D-9;1;AMO-9;REMBOURSE;1,5;", "MONTANT_REMBOURSE", "'1,5'"),
        ("V9;03/12/2026;CASHPLUS;;D-9;1;AMO-9;REMBOURSE;1.50;", "MONTANT_REMBOURSE", "'1.50'"),
        ("V9;03/12/2026;CASHPLUS;;D-9;1;AMO-9;RECU;1,00;", "MONTANT_REMBOURSE", "must be empty"),
        ("V9;03/12/2026;CASHPLUS;;D-9;1;AMO-9;REJETE;;", "MOTIF", "MOTIF is empty"),
        ("V9;03/12/2026;CASHPLUS;;D-9;1;AMO-9;REJETE;;droits fermés", "MOTIF", "reason code"),
        ("V9;03/12/2026;CASHPLUS;;D-9;1;AMO-9;INCOMPLET;;R01-texte", "MOTIF", "reason code"),
        ("V9;03/12/2026;CASHPLUS;;D-9;1;AMO-9;REJETE;;R01 - ", "MOTIF", "reason code"),
        ("V9;03/12/2026;CASHPLUS;;D-9;1;AMO-9;EN_COURS;;R01 - x", "MOTIF", "must be empty"),
    ],
)
def test_a_malformed_line_refuses_the_file_naming_its_line_and_column(
    line: str, field: str, said: str
) -> None:
    error = refusal(tracking(RECEIVED, line, trailer="TOTAL;2;0,00;;;;;;;"))
    assert error.field == field
    assert f"{SOURCE}, line 3" in error.message
    assert said in error.message
    assert error.details == {"line": "3", "source": SOURCE}


def test_a_file_that_is_not_utf8_is_refused_naming_the_line() -> None:
    line = "V3;03/12/2026;CASHPLUS;;D-3;1;AMO-3;REJETE;;R01 - droits fermés"
    data = tracking(RECEIVED, line).replace("é".encode(), "é".encode("latin-1"))
    error = refusal(data)
    assert error.field == "encoding"
    assert "line 3" in error.message


def test_an_unterminated_quote_is_refused() -> None:
    error = refusal(tracking('V1;03/12/2026;CASHPLUS;"B-1;D-1;1;AMO-1;RECU;;'))
    assert error.field == "format"


def test_an_empty_file_is_refused() -> None:
    assert "empty" in refusal(b"").message
    assert "empty" in refusal("\ufeff".encode()).message


@pytest.mark.parametrize(
    ("header", "field", "said"),
    [
        (HEADER_LINE.replace(";MOTIF", ""), "MOTIF", "lacks column MOTIF"),
        (HEADER_LINE.replace("NUM_DEPOT", "NUM_DEPÔT"), "NUM_DEPÔT", "unknown column"),
        (HEADER_LINE + ";COMMENTAIRE", "COMMENTAIRE", "extra column"),
        (
            HEADER_LINE.replace("NUM_BORDEREAU;NUM_DEPOT", "NUM_DEPOT;NUM_BORDEREAU"),
            "NUM_BORDEREAU",
            "column NUM_BORDEREAU is at position 5, expected at 4",
        ),
    ],
)
def test_a_header_that_is_not_exactly_the_ten_columns_is_refused_naming_the_column(
    header: str, field: str, said: str
) -> None:
    error = refusal(tracking(RECEIVED).replace(HEADER_LINE.encode(), header.encode(), 1))
    assert error.field == field
    assert "line 1" in error.message
    assert said in error.message


# --- file names ---------------------------------------------------------------------------


def test_a_tracking_file_name_gives_its_network_and_day() -> None:
    assert parse_tracking_name(f"/inbox/{SOURCE}") == ("CASHPLUS", date(2026, 12, 3))


@pytest.mark.parametrize(
    "name",
    [
        "CNSS_SUIVI_DOSSIERS_CASHPLUS_20261232.csv",
        "CNSS_SUIVI_DOSSIERS__20261203.csv",
        "CNSS_SUIVI_DOSSIERS_CASHPLUS_20261203.xlsx",
        "CNSS_ENCAISSEMENTS_CASHPLUS_20261203.csv",
        "cnss_suivi_dossiers_cashplus_20261203.csv",
    ],
)
def test_any_other_file_name_is_not_a_tracking_file(name: str) -> None:
    assert parse_tracking_name(name) is None


# --- writing ------------------------------------------------------------------------------


def test_writing_the_example_events_gives_back_the_documented_bytes() -> None:
    events = parse_tracking(EXAMPLE).events
    assert write_tracking(events) == EXAMPLE.replace(b'"V2026120300006"', b"V2026120300006")
    assert write_tracking(events, quote_ids=True).count(b'"V20261203') == 6


_TROUBLESOME = st.sampled_from(list(';"\r\n \u00a0éعربي'))
_TEXTS = st.text(st.characters(codec="utf-8") | _TROUBLESOME, max_size=20)
_FILLED = _TEXTS.filter(bool)


@st.composite
def _events(draw: st.DrawFn) -> TrackingEvent:
    """Any event the format allows, with the columns its status requires."""
    status = draw(st.sampled_from(TrackingStatus))
    slip_received = status is TrackingStatus.SLIP_RECEIVED
    registered = status not in (TrackingStatus.SLIP_RECEIVED, TrackingStatus.NOT_RECEIVED)
    with_reason = status in (TrackingStatus.INCOMPLETE, TrackingStatus.REFUSED)
    return TrackingEvent(
        event_id=draw(_TEXTS.filter(lambda text: text.strip() != "" and text != "TOTAL")),
        event_date=draw(st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31))),
        network=draw(_FILLED),
        slip_number=draw(_FILLED) if slip_received else draw(st.none() | _FILLED),
        deposit_number=None if slip_received else draw(st.none() | _FILLED),
        registration_number=draw(st.none() | _FILLED) if slip_received else draw(_FILLED),
        cnss_file_number=draw(_FILLED) if registered else None,
        status=status,
        reimbursed_centimes=(
            draw(st.integers(min_value=0, max_value=10**14))
            if status is TrackingStatus.REIMBURSED
            else None
        ),
        reason_code=draw(st.from_regex(r"[A-Z][A-Z0-9]{0,9}", fullmatch=True))
        if with_reason
        else None,
        reason_text=draw(_TEXTS.filter(lambda text: text[:1].strip() != ""))
        if with_reason
        else None,
    )


@SETTINGS
@given(
    events=st.lists(_events(), max_size=12, unique_by=lambda event: event.event_id),
    thousands=st.sampled_from([" ", "\u00a0", "\u202f", ""]),
    quote_ids=st.booleans(),
)
def test_any_written_tracking_file_reads_back_as_the_same_events(
    events: list[TrackingEvent], thousands: str, quote_ids: bool
) -> None:
    read = parse_tracking(write_tracking(events, thousands=thousands, quote_ids=quote_ids))

    assert [replace(event, line=0) for event in read.events] == events
    assert read.reimbursed_centimes == sum(event.reimbursed_centimes or 0 for event in events)
    assert read.count == len(events)

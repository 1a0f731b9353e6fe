"""`ingest --list-formats` names every registered format and preset, each with an example command."""

from __future__ import annotations

from pipelines.cli import main
from pipelines.ingest import KINDS, formats
from pipelines.ingest.catalog import FORMATS
from pipelines.ingest.presets import PRESETS, detect


def test_every_registered_format_is_described() -> None:
    registered = {(kind, fmt) for kind in KINDS for fmt in formats(kind)}
    assert registered <= set(FORMATS), (
        f"formats --list-formats does not describe: {registered - set(FORMATS)}"
    )


def test_list_formats_prints_formats_presets_and_examples(capsys) -> None:
    assert main(["ingest", "--list-formats"]) == 0
    out = capsys.readouterr().out
    for kind in KINDS:
        for fmt in formats(kind):
            assert f"  {fmt} " in out
    for preset in PRESETS:
        assert preset.name in out
    assert out.count("e.g. python -m pipelines ingest ") == len(FORMATS) + len(PRESETS)
    assert "loads as it is" in out and "needs a mapping" in out
    assert main(["ingest", "social", "--list-formats"]) == 0
    only_social = capsys.readouterr().out
    assert "twitter_v2" in only_social and "transcribe_json" not in only_social


def test_ingest_without_kind_or_path_is_a_one_line_error(capsys) -> None:
    assert main(["ingest"]) == 2
    assert "--list-formats" in capsys.readouterr().err


def test_presets_are_recognised_from_the_header_row() -> None:
    assert (
        detect(
            "helpdesk_csv",
            [
                "Ticket ID",
                "Customer Name",
                "Customer Email",
                "Ticket Type",
                "Ticket Subject",
                "Ticket Description",
                "Ticket Status",
                "Resolution",
                "Ticket Channel",
            ],
        ).name
        == "customer_support_tickets"
    )
    assert (
        detect(
            "helpdesk_csv",
            ["subject", "body", "answer", "type", "queue", "priority", "language", "version", "tag_1"],
        ).name
        == "multilang_tickets"
    )
    assert (
        detect("helpdesk_csv", ["Id", "Requester", "Requester email", "Subject", "Via", "Created at"]).name
        == "zendesk_tickets"
    )
    assert (
        detect(
            "helpdesk_csv", ["Case Number", "Subject", "Description", "Case Origin", "Date/Time Opened"]
        ).name
        == "salesforce_cases_report"
    )
    assert (
        detect("helpdesk_csv", ["Id", "CaseNumber", "Subject", "Origin", "CreatedDate", "SuppliedEmail"]).name
        == "salesforce_cases_api"
    )
    assert detect("helpdesk_csv", ["ticket_id", "created_at", "subject", "description"]) is None
    mapping = detect(
        "helpdesk_csv", ["Case Number", "Subject", "Description", "Case Origin", "Web Email"]
    ).mapping(["Case Number", "Subject", "Description", "Case Origin", "Web Email"])
    assert mapping["text"] == "Description" and mapping["customer_email"] == "Web Email"
    assert "occurred_at" not in mapping

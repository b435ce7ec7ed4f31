"""Every text the counter's screens show, by key, marked for the terminal's catalogues
(terminal_client/locale): templates call ``t("key")`` and read it in French or Arabic."""

from __future__ import annotations

from terminal_client.i18n import N_

WORDS: dict[str, str] = {
    "app_title": N_("Qurb counter"),
    "sign_in": N_("Sign in"),
    "sign_out": N_("Sign out"),
    "username": N_("Username"),
    "password": N_("Password"),
    "session_expired": N_("The session has ended: sign in again."),
    "signed_out": N_("You are signed out."),
    "field_required": N_("{field}: this field is required."),
    "csrf_refused": N_(
        "This form was not sent from this counter's page: nothing was done. Reload the page."
    ),
    "form_damaged": N_("This form is incomplete: nothing was collected. Start again."),
    "number_digits": N_("A registration number is written in digits only."),
    "no_ticket": N_("No such ticket on this terminal."),
    "nav_find": N_("Find a worker"),
    "nav_tickets": N_("Today's receipts"),
    "nav_drawer": N_("Cash drawer close"),
    "day_label": N_("The office's day"),
    "day_count": N_("Collections today"),
    "day_cash": N_("Cash taken"),
    "day_queued": N_("Queued offline"),
    "offline_banner": N_(
        "The hub cannot be reached. Payments are kept in this terminal's outbox with a"
        " provisional ticket, and sent as soon as it is back."
    ),
    "delivered": N_("Provisional ticket #{seq} is confirmed: receipt {number}. Print it."),
    "by_number": N_("Registration number"),
    "by_cin": N_("CIN on the worker's card"),
    "find": N_("Find"),
    "name_search_help": N_(
        "A worker is found by registration number or by the CIN on their card. Searching by"
        " name and date of birth is not offered at the counter: the hub does not let a counter"
        " list people by name."
    ),
    "amount_label": N_("Amount to collect (MAD)"),
    "continue": N_("Continue"),
    "confirm_title": N_("Confirm the payment"),
    "worker": N_("Worker"),
    "registration_number": N_("Registration number"),
    "amount": N_("Amount"),
    "name_unchecked": N_("cannot be checked now"),
    "other_office": N_("Enrolled at another office: {office}"),
    "confirm_offline": N_(
        "The hub cannot be reached: the worker's name and months cannot be checked. The"
        " payment will be queued with a provisional ticket."
    ),
    "collect": N_("Collect {amount}"),
    "back": N_("Back"),
    "back_home": N_("Back to the search"),
    "key_enter": N_("Enter"),
    "key_esc": N_("Esc"),
    "provisional_title": N_("Provisional ticket {number}"),
    "receipt_title": N_("Receipt {number}"),
    "close_report_title": N_("Drawer close report {number}"),
    "provisional_help": N_(
        "Hand this provisional ticket to the worker. The payment is safe in this terminal's"
        " outbox; the receipt replaces it here as soon as the hub has it."
    ),
    "print_width": N_("Print ({width} mm)"),
    "print_again": N_("Print"),
    "next_worker": N_("Next worker"),
    "qr_alt": N_("The receipt's QR code, to verify it"),
    "time": N_("Time"),
    "ticket": N_("Ticket"),
    "state": N_("State"),
    "operation": N_("Operation"),
    "provisional": N_("provisional"),
    "confirmed": N_("confirmed"),
    "reprint": N_("Reprint"),
    "no_ticket_today": N_("No ticket today on this terminal."),
    "reversal_title": N_("Reverse receipt {number}"),
    "reversal_help": N_(
        "Only today's collection can be reversed, with a supervisor of this office: they type"
        " their username and password here. The worker gets the reversal's receipt."
    ),
    "reason": N_("Reason"),
    "supervisor_username": N_("Supervisor username"),
    "supervisor_password": N_("Supervisor password"),
    "reverse": N_("Reverse the collection"),
    "reverse_link": N_("Reverse (supervisor)"),
    "not_reversible": N_("Only a confirmed collection of this terminal can be reversed here."),
    "nav_enroll": N_("Enroll"),
    "the_worker": N_("The worker, as on the CIN"),
    "cin": N_("CIN"),
    "the_plan": N_("Category and contribution"),
    "plan": N_("Category and bracket"),
    "choose_plan": N_("Choose the category and the bracket in the list."),
    "document_number": N_("Professional document number"),
    "dependents": N_("Dependents (leave a row empty if none)"),
    "student": N_("Student"),
    "spouse": N_("spouse"),
    "child": N_("child"),
    "add_dependent": N_("Add a dependent"),
    "enroll": N_("Enroll the worker"),
    "enrollment_queued": N_(
        "The hub cannot be reached: the enrollment #{seq} is kept in this terminal's outbox and"
        " sent as soon as it is back. The registration number will be given then."
    ),
    "pay_this_worker": N_("Take a payment for this worker"),
    "rights_title": N_("Health rights and certificates"),
    "rights": N_("Rights"),
    "covered_through": N_("Covered through"),
    "certificate_rights": N_("Print a rights certificate"),
    "certificate_payments": N_("Print a payment certificate"),
    "fishing_title": N_("Fishing days"),
    "fishing_help": N_(
        "For a fishing-sector worker: each day at sea and its earnings, as the boat owner or"
        " the cooperative declares them (at most 26 days a month; a day counts at least one"
        " day of minimum wage)."
    ),
    "declared_by": N_("Declared by (boat owner or cooperative)"),
    "day_format": N_("Day (YYYY-MM-DD)"),
    "earnings": N_("Earnings (MAD)"),
    "declare": N_("Declare the days"),
    "day": N_("Day"),
    "contribution": N_("Contribution"),
    "total_due": N_("Total due"),
    "one_day_at_least": N_("Type at least one day and its earnings."),
    "declaration_queued": N_(
        "The hub cannot be reached: the declaration #{seq} is kept in this terminal's outbox"
        " and sent as soon as it is back."
    ),
    "drawer_help": N_(
        "Count the cash in the drawer: how many of each note and coin (empty: none). What the "
        "drawer should hold is shown once the count is sent, with the difference, on the "
        "signed close report. A drawer is closed once a day."
    ),
    "print_escpos": N_("Receipt printer"),
    "sent_to_printer": N_("Sent to the receipt printer."),
    "no_printer": N_("No receipt printer is set on this terminal: qurb-terminal printer set …"),
    "drawer_notes": N_("Notes"),
    "drawer_coins": N_("Coins"),
    "drawer_close": N_("Close the drawer"),
    "nav_transmittal": N_("Transmittal slip"),
    "slip_title": N_("Deposit slip {number}"),
    "deposit_link": N_("Deposit a reimbursement file"),
    "files_link": N_("Files deposited"),
    "deposit_title": N_("Deposit a reimbursement file"),
    "deposit_help": N_(
        "The worker hands over the envelope with the care sheet and its documents. Count the"
        " documents; the hub numbers the envelope, and its label and the worker's slip are"
        " printed next."
    ),
    "beneficiary": N_("Beneficiary"),
    "care_received_by": N_("Care received by"),
    "the_insured_worker": N_("The insured worker"),
    "cin_for_dependents": N_("Worker's CIN (to list the dependents)"),
    "list_dependents": N_("List the dependents"),
    "cin_not_this_worker": N_("This CIN is not this worker's."),
    "choose_beneficiary": N_("Choose the beneficiary in the list."),
    "the_care": N_("The care"),
    "care_kind": N_("Kind of care"),
    "choose_care": N_("Choose the kind of care in the list."),
    "care_from": N_("First day of care (YYYY-MM-DD)"),
    "care_to": N_("Last day of care (empty: the same day)"),
    "amount_spent": N_("Amount spent (MAD)"),
    "documents": N_("Documents in the envelope"),
    "deposit_send": N_("Take the file"),
    "deposit_queued": N_(
        "The hub cannot be reached: the deposit #{seq} is signed and kept in this terminal's"
        " outbox. The hub takes it when it is back, with the warnings it finds then (the"
        " worker could not be told them now). Keep the envelope apart: its number and label"
        " come then, in today's receipts."
    ),
    "deposit_delivered": N_(
        "Deposit #{seq} is taken by the hub: envelope {number}. Print its label and the slip."
    ),
    "warnings_title": N_("CNSS will probably refuse this file"),
    "warnings_tell": N_("Tell the worker, before taking the envelope:"),
    "warnings_help": N_(
        "CNSS decides, not the counter. If the worker still wants to deposit the file, it is"
        " taken and these warnings are printed on the slip."
    ),
    "worker_insists": N_("The worker insists: take the file"),
    "worker_takes_back": N_("The worker takes the envelope back"),
    "files_title": N_("Files deposited by worker"),
    "deposit_number": N_("Deposit number"),
    "deposited_on": N_("Deposited on"),
    "care_period": N_("Days of care"),
    "where_is_it": N_("Where it is"),
    "since": N_("Since"),
    "no_files": N_("No file deposited for this worker."),
    "label_link": N_("Envelope label"),
    "label_alt": N_("The envelope's barcode: {number}"),
    "cancel_link": N_("Cancel the deposit (supervisor)"),
    "cancel_title": N_("Cancel deposit {number}"),
    "cancel_help": N_(
        "Only today's deposit still at the office can be cancelled, with a supervisor of this"
        " office: they type their username and password here. Hand the envelope back to the"
        " worker with the cancellation receipt."
    ),
    "cancel_deposit": N_("Cancel the deposit"),
    "not_cancellable": N_("Only a confirmed deposit slip of this terminal can be cancelled here."),
    "reason_too_short": N_("Reason: write 3 characters at least."),
    "transmittal_help": N_(
        "At the end of the day, the office's deposits not yet sent go into one transmittal"
        " slip for the courier. Print the bordereau, put it with the envelopes, and have the"
        " courier sign it. A deposit taken later today goes in the next slip."
    ),
    "transmittal_close": N_("Close today's slip"),
    "bordereau_title": N_("Transmittal slip {number}"),
    "bordereau_count": N_("{count} envelopes, {documents} documents to count."),
    "no_bordereau": N_("No such transmittal slip on this terminal."),
    "manifest_qr_alt": N_("The signed manifest's QR code, to check the list"),
    "manifest_too_long": N_(
        "The manifest is too long for one QR code: it is kept by the hub and can be checked there."
    ),
}

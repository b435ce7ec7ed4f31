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
}

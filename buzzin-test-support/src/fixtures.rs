//! The contractor fixture the tests share: Ahmed Contracting LLC, its representative and its
//! trade licence (the spec's `create-contractor` example).

use buzzin::client::Contact;
use buzzin::models::{CompanyInput, Date, FileInput};

/// The contractor's company name.
pub const COMPANY_NAME: &str = "Ahmed Contracting LLC";

/// The contractor's DAMAC integration id.
pub const DAMAC_ID: &str = "a0B5g000000ABCDEAW";

/// The contractor's representative: "Ahmed Contracting LLC Rep", ops@ahmed-contracting.ae.
pub fn contact() -> Contact {
    Contact {
        name: "Ahmed Contracting LLC Rep".into(),
        email: "ops@ahmed-contracting.ae".into(),
        phone: "+971500000000".into(),
    }
}

/// The contractor's company: its trade licence by URL, valid until 2027-03-31.
pub fn company() -> CompanyInput {
    CompanyInput::new(
        COMPANY_NAME,
        FileInput::Url {
            url: "https://files.example.com/license.pdf".into(),
        },
        Date::new(2027, 3, 31).unwrap(),
    )
}

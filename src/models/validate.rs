//! The checks of the generated `validate()`s: a value the spec marks as never empty.

use crate::Error;

/// Fails with [`Error::InvalidRequest`] naming `field` when `id` is empty or blank, or is `.`
/// or `..`: such an id would vanish from a URL path (`PATCH /passes/..` is `PATCH /`), and the
/// call would act on another resource. Every other id stays one path segment (it is
/// percent-encoded, `/` included).
pub(crate) fn require_id(field: &'static str, id: &str) -> Result<(), Error> {
    if id.trim().is_empty() {
        return Err(Error::invalid(field, "must not be empty"));
    }
    if id == "." || id == ".." {
        return Err(Error::invalid(
            field,
            "must not be `.` or `..` (it would not stay one URL path segment)",
        ));
    }
    Ok(())
}

/// Fails with [`Error::InvalidRequest`] naming `field` when `value` is empty or blank.
pub(crate) fn require_text(field: &'static str, value: &str) -> Result<(), Error> {
    if value.trim().is_empty() {
        return Err(Error::invalid(field, "is required and must not be empty"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::models::Timestamp;
    use crate::models::{
        ContractorRef, CreatePermitRequest, CreateQrAccessRequest, FlatRef, PropertyRef, QrVisitor,
    };
    use crate::Error;

    fn refused_field(result: Result<(), Error>) -> &'static str {
        match result {
            Err(Error::InvalidRequest { field, .. }) => field,
            other => panic!("expected InvalidRequest, got {other:?}"),
        }
    }

    #[test]
    fn generated_validate_refuses_an_empty_id_and_names_it() {
        let visitor = QrVisitor {
            phone: Some("+971501112233".into()),
            ..QrVisitor::new("Sara")
        };
        let valid_from: Timestamp = "2026-07-01T06:00:00.000Z".parse().unwrap();
        let valid_till: Timestamp = "2026-07-01T18:00:00.000Z".parse().unwrap();
        let request = CreateQrAccessRequest::new(visitor, "p1", "f1", valid_from, valid_till);
        assert!(request.validate().is_ok());
        let empty_flat = CreateQrAccessRequest {
            flat_id: "  ".into(),
            ..request.clone()
        };
        assert_eq!(refused_field(empty_flat.validate()), "flatId");
        let dot = CreateQrAccessRequest {
            property_id: "..".into(),
            ..request.clone()
        };
        assert_eq!(refused_field(dot.validate()), "propertyId");
        // A nested model's value is named by its path.
        let mut nameless = request;
        nameless.visitor.name = String::new();
        assert_eq!(refused_field(nameless.validate()), "visitor.name");
    }

    #[test]
    fn generated_validate_checks_the_chosen_form_of_a_reference() {
        let valid_from: Timestamp = "2026-07-01T06:00:00.000Z".parse().unwrap();
        let valid_till: Timestamp = "2026-07-02T06:00:00.000Z".parse().unwrap();
        let request = CreatePermitRequest::new(
            ContractorRef::Id("".into()),
            PropertyRef::ExternalId("P-1".into()),
            FlatRef::ExternalId("F-1".into()),
            "a0X000000000001AAA",
            valid_from,
            valid_till,
        );
        assert_eq!(refused_field(request.validate()), "communityContractorId");
        let request = CreatePermitRequest {
            contractor: ContractorRef::Id("c1".into()),
            flat: FlatRef::ExternalId(" ".into()),
            ..request
        };
        assert_eq!(refused_field(request.validate()), "flatExternalId");
    }
}

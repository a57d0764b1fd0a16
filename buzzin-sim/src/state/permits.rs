//! Permits and their passes: create, read, validity, NOC, submit, approve, reissue, revoke.

use super::*;

impl State {
    pub(super) fn permit_index(&self, id: &str) -> Option<usize> {
        self.index.permit_by_id.get(id).copied()
    }

    pub(super) fn resolve_flat(
        &self,
        property: &PropertyId,
        flat: &FlatRef,
    ) -> Result<FlatId, Failure> {
        let found = match flat {
            FlatRef::ExternalId(external) => self
                .seed
                .flat(external)
                .filter(|f| &f.property_id == property),
            FlatRef::Id(id) => self
                .seed
                .flat_by_id(id.as_str())
                .filter(|f| &f.property_id == property),
        };
        found.map(|f| f.id.clone()).ok_or_else(|| {
            let shown = match flat {
                FlatRef::ExternalId(e) => e.clone(),
                FlatRef::Id(i) => i.to_string(),
            };
            Failure::not_found(format!("Flat `{shown}` not found in the property"))
        })
    }

    pub fn create_permit(&mut self, body: &Value) -> Answer {
        let request: CreatePermitRequest = parse(body)?;
        let now = self.clock.now_ms();
        let from = millis(&request.valid_from, "validFrom")?;
        let till = millis(&request.valid_till, "validTill")?;
        check_validity(from, till, now)?;

        // References: the contractor, the property, the units.
        let community = self.community();
        let contractor = match &request.contractor {
            ContractorRef::SalesforceId(sf) => self
                .attached_among(&self.index.contractors_by_salesforce_id, sf.as_str())
                .next(),
            ContractorRef::Id(id) => self
                .contractor_index(id.as_str())
                .map(|i| &self.contractors[i])
                .filter(|c| c.attached(&community)),
        }
        .ok_or_else(|| Failure::not_found("Contractor not found in the community"))?;
        if contractor.record.approved != Some(true) {
            return Err(Failure::bad_request("The contractor is not approved"));
        }
        let contractor_id = contractor.record.id.clone().expect("minted");
        let property = match &request.property {
            PropertyRef::ExternalId(external) => self.seed.property(external),
            PropertyRef::Id(id) => self.seed.property_by_id(id.as_str()),
        }
        .ok_or_else(|| Failure::not_found("Property not found in the community"))?
        .id
        .clone();
        let flat_id = self.resolve_flat(&property, &request.flat)?;
        let mut additional = Vec::new();
        for external in request.additional_flat_external_ids.iter().flatten() {
            additional.push(self.resolve_flat(&property, &FlatRef::ExternalId(external.clone()))?);
        }
        for id in request.additional_flat_ids.iter().flatten() {
            additional.push(self.resolve_flat(&property, &FlatRef::Id(id.clone()))?);
        }
        additional.retain(|f| f != &flat_id);
        additional.dedup();

        if self
            .index
            .permit_salesforce_ids
            .contains(request.salesforce_permit_id.as_str())
        {
            return Err(Failure::conflict(
                "A permit with this salesforcePermitId already exists",
            ));
        }
        let noc = request
            .noc
            .as_ref()
            .map(|n| self.noc_record(n))
            .transpose()?;
        let id = PermitId::new(self.mint_id());
        let pass_number = format!("WP-{:06}", self.next_pass);
        self.next_pass += 1;
        self.index
            .permit_by_id
            .insert(id.as_str().to_owned(), self.permits.len());
        self.index
            .permit_salesforce_ids
            .insert(request.salesforce_permit_id.as_str().to_owned());
        self.permits.push(PermitRec {
            id,
            status: status::DRAFT_CODE,
            pass_number,
            contractor_id,
            property_id: property,
            flat_id,
            additional_flat_ids: additional,
            valid_from: request.valid_from,
            valid_till: request.valid_till,
            details: PermitDetails::default(),
            jobs_summary: request.jobs_summary,
            access_code: None,
            qr_image_url: None,
            documentation_url: None,
            salesforce_id: request.salesforce_permit_id,
            noc,
            noc_history: Vec::new(),
            expiring_sent: false,
            scanned: false,
            revocation: None,
        });
        Ok(Reply::json(
            201,
            &self.permits.last().expect("pushed").render(),
        ))
    }

    pub fn get_permit(&self, id: &str) -> Answer {
        let index = self
            .permit_index(id)
            .ok_or_else(|| Failure::not_found("Record Not Found"))?;
        Ok(Reply::json(200, &self.permits[index].render()))
    }

    pub fn update_permit(&mut self, id: &str, body: &Value) -> Answer {
        let index = self
            .permit_index(id)
            .ok_or_else(|| Failure::not_found("Record Not Found"))?;
        match body.get("action").and_then(Value::as_str) {
            Some("replaceNoc") => {
                let request: buzzin::models::NocReplacement = parse(body)?;
                let record = self.noc_record(&request.noc)?;
                let permit = &mut self.permits[index];
                if let Some(current) = permit.noc.replace(record) {
                    permit.noc_history.push(current);
                }
            }
            Some(other) => {
                return Err(Failure::bad_request(format!(
                    "Unknown action `{other}`; expected `replaceNoc` or a validity change"
                )))
            }
            None => {
                let request: buzzin::models::PermitValidityUpdate = parse(body)?;
                if request.valid_from.is_none() && request.valid_till.is_none() {
                    return Err(Failure::bad_request(
                        "Give `validFrom`, `validTill`, or `action: replaceNoc`",
                    ));
                }
                let permit = &self.permits[index];
                if !status::is_live(permit.status) {
                    return Err(Failure::bad_request(format!(
                        "The validity of a {} permit cannot change",
                        status::name(permit.status)
                    )));
                }
                let from = request.valid_from.unwrap_or(permit.valid_from);
                let till = request.valid_till.unwrap_or(permit.valid_till);
                check_validity(
                    millis(&from, "validFrom")?,
                    millis(&till, "validTill")?,
                    self.clock.now_ms(),
                )?;
                let permit = &mut self.permits[index];
                if permit.valid_till != till {
                    permit.expiring_sent = false;
                }
                permit.valid_from = from;
                permit.valid_till = till;
                // Documented: the change delivers the event with the new window, a DRAFT's too.
                self.emit_permit(WebhookEventName::PermitUpdated, index);
                self.schedule(index);
            }
        }
        Ok(Reply::json(200, &self.permits[index].render()))
    }

    pub fn update_pass(&mut self, id: &str, body: &Value) -> Answer {
        let index = self
            .permit_index(id)
            .ok_or_else(|| Failure::not_found("Record Not Found"))?;
        let action: buzzin::models::PassAction = parse(body)?;
        let now = self.now();
        let permit = &mut self.permits[index];
        match action {
            buzzin::models::PassAction::Revoke { reason } => {
                if permit.status == status::ARCHIVED_CODE {
                    return Err(Failure::bad_request("The permit is archived"));
                }
                if permit.status != status::REVOKED_CODE {
                    permit.status = status::REVOKED_CODE;
                    permit.revocation = Some(json!({
                        "actor": "api",
                        "reason": reason,
                        "revokedAt": now,
                    }));
                }
            }
            buzzin::models::PassAction::Reissue => {
                if permit.status != status::ACCEPTED_CODE {
                    return Err(Failure::bad_request(format!(
                        "Only an ACCEPTED permit's pass can be reissued; this one is {}",
                        status::name(permit.status)
                    )));
                }
                if let Some(old) = permit.access_code.take() {
                    self.reissued_codes.insert(old);
                }
                self.issue_pass(index);
            }
            buzzin::models::PassAction::Submit => {
                if permit.status != status::DRAFT_CODE {
                    return Err(Failure::bad_request(format!(
                        "Only a DRAFT permit can be submitted; this one is {}",
                        status::name(permit.status)
                    )));
                }
                let d = &permit.details;
                let mut missing = Vec::new();
                for (field, set) in [
                    ("timeIn", d.time_in.is_some()),
                    ("timeOut", d.time_out.is_some()),
                    ("representativeName", d.representative_name.is_some()),
                    ("representativeContact", d.representative_contact.is_some()),
                    ("employees", !d.employees.is_empty()),
                ] {
                    if !set {
                        missing.push(field);
                    }
                }
                if !missing.is_empty() {
                    let mut failure = Failure::bad_request(format!(
                        "The permit cannot be submitted: missing {}",
                        missing.join(", ")
                    ));
                    failure.errors = Some(json!(missing
                        .iter()
                        .map(|f| (f.to_string(), json!("required")))
                        .collect::<Map<_, _>>()));
                    return Err(failure);
                }
                permit.status = status::PENDING_CODE;
            }
        }
        Ok(Reply {
            status: 200,
            body: json!({}),
        })
    }

    /// Mints a pass for the permit at `index` and emits `passes.permits.issued`.
    pub(super) fn issue_pass(&mut self, index: usize) {
        let base_url = self.base_url.clone();
        let doc_id = self.mint_id();
        let permit = &mut self.permits[index];
        let code = Self::mint_code();
        if let Some(old) = permit.access_code.replace(code.clone()) {
            self.index.permit_by_code.remove(&old);
        }
        self.index.permit_by_code.insert(code, index);
        let doc_path = format!("permits/{}-{doc_id}.pdf", permit.pass_number);
        permit.documentation_url = Some(format!("{base_url}/public/{doc_path}"));
        let qr_path = permit.qr_image_path();
        permit.qr_image_url = Some(format!("{base_url}{qr_path}"));
        let qr_path = qr_path.trim_start_matches("/public/").to_owned();
        self.files
            .insert(qr_path, ("image/png".into(), PLACEHOLDER_PNG.to_vec()));
        self.files.insert(
            doc_path,
            ("application/pdf".into(), PLACEHOLDER_PDF.to_vec()),
        );
        self.emit_permit(WebhookEventName::PermitIssued, index);
    }

    pub fn fill_permit_details(
        &mut self,
        id: &PermitId,
        details: PermitDetails,
    ) -> Result<Permit, SimulatorError> {
        let index = self.permit_hook_index(id)?;
        let permit = &mut self.permits[index];
        if permit.status != status::DRAFT_CODE {
            return Err(SimulatorError::InvalidState(format!(
                "only a DRAFT permit's details can be filled in; this one is {}",
                status::name(permit.status)
            )));
        }
        let d = &mut permit.details;
        update(&mut d.time_in, details.time_in);
        update(&mut d.time_out, details.time_out);
        update(&mut d.representative_name, details.representative_name);
        update(
            &mut d.representative_contact,
            details.representative_contact,
        );
        d.employees.extend(details.employees);
        Ok(permit.render())
    }

    pub fn approve_permit(&mut self, id: &PermitId) -> Result<Permit, SimulatorError> {
        let index = self.permit_hook_index(id)?;
        let permit = &mut self.permits[index];
        if permit.status != status::PENDING_CODE {
            return Err(SimulatorError::InvalidState(format!(
                "only a submitted permit can be approved; this one is {}",
                status::name(permit.status)
            )));
        }
        permit.status = status::ACCEPTED_CODE;
        self.issue_pass(index);
        self.schedule(index);
        self.tick();
        Ok(self.permits[index].render())
    }

    pub(super) fn permit_hook_index(&self, id: &PermitId) -> Result<usize, SimulatorError> {
        self.permit_index(id.as_str())
            .ok_or_else(|| SimulatorError::NotFound {
                kind: "permit",
                id: id.to_string(),
            })
    }

    pub fn permit_of_code(&self, code: &str) -> Option<Permit> {
        self.index
            .permit_by_code
            .get(code)
            .map(|&i| self.permits[i].render())
    }

    pub fn permit(&self, id: &PermitId) -> Option<Permit> {
        self.permit_index(id.as_str())
            .map(|i| self.permits[i].render())
    }
}

//! Contractors: create, approve, revoke (which archives their permits).

use super::*;

impl State {
    pub(super) fn contractor_index(&self, id: &str) -> Option<usize> {
        self.index.contractor_by_id.get(id).copied()
    }

    /// The contractors of this community with `key` in `by` (a phone or Salesforce index).
    pub(super) fn attached_among<'a>(
        &'a self,
        by: &'a HashMap<String, Vec<usize>>,
        key: &str,
    ) -> impl Iterator<Item = &'a ContractorRec> + 'a {
        let community = self.community();
        by.get(key)
            .into_iter()
            .flatten()
            .map(|&i| &self.contractors[i])
            .filter(move |c| c.attached(&community))
    }

    pub fn create_contractor(&mut self, body: &Value) -> Answer {
        let request: CreateContractorRequest = parse(body)?;
        for (field, value) in [
            ("name", &request.name),
            ("email", &request.email),
            ("phone", &request.phone),
            ("company.companyName", &request.company.company_name),
        ] {
            if value.trim().is_empty() {
                return Err(Failure::bad_request(format!("`{field}` is required")));
            }
        }
        if request.company.trade_license_expiry_date.ymd().is_none() {
            return Err(Failure::bad_request(
                "`company.tradeLicenseExpiryDate` is not a valid date",
            ));
        }
        let email = request.email.trim().to_lowercase();
        let email_taken = self.index.contractor_emails.contains(&email)
            || self
                .seed
                .other_community_contractors
                .iter()
                .any(|c| c.email.eq_ignore_ascii_case(&email));
        if email_taken {
            return Err(Failure::conflict(
                "A contractor with this email already exists",
            ));
        }
        if self
            .attached_among(&self.index.contractors_by_phone, &request.phone)
            .next()
            .is_some()
        {
            return Err(Failure::conflict(
                "A contractor with this phone already exists in the community",
            ));
        }
        let salesforce_id = request.integrations.damac.salesforce_id.clone();
        if self
            .attached_among(
                &self.index.contractors_by_salesforce_id,
                salesforce_id.as_str(),
            )
            .next()
            .is_some()
        {
            return Err(Failure::conflict(
                "A contractor with this Salesforce id already exists in the community",
            ));
        }
        let trade_license =
            self.store_file(&request.company.trade_license, "communityContractors")?;
        let id = ContractorId::new(self.mint_id());
        let id_text = id.as_str().to_owned();
        let sf_text = salesforce_id.as_str().to_owned();
        let record = record!(Contractor {
            id: Some(id),
            name: Some(request.name),
            email: Some(request.email),
            phone: Some(request.phone),
            approved: Some(false),
            communities_ids: Some(vec![self.seed.community_id.clone()]),
            company: Some(record!(Company {
                company_name: Some(request.company.company_name),
                trade_license: Some(trade_license),
                trade_license_expiry_date: Some(request.company.trade_license_expiry_date),
                ..Default::default()
            })),
            integrations: Some(record!(ContractorIntegrations {
                damac: Some(record!(DamacContractor {
                    salesforce_id: Some(salesforce_id),
                    ..Default::default()
                })),
                ..Default::default()
            })),
            extra: request.extra,
        });
        let at = self.contractors.len();
        let index = &mut self.index;
        index.contractor_by_id.insert(id_text, at);
        index.contractor_emails.insert(email);
        index
            .contractors_by_phone
            .entry(record.phone.clone().unwrap_or_default())
            .or_default()
            .push(at);
        index
            .contractors_by_salesforce_id
            .entry(sf_text)
            .or_default()
            .push(at);
        self.contractors.push(ContractorRec {
            record: record.clone(),
            revoked: false,
        });
        Ok(Reply::json(201, &record))
    }

    pub fn update_contractor(&mut self, id: &str, body: &Value) -> Answer {
        let request: UpdateContractorRequest = parse(body)?;
        let index = self
            .contractor_index(id)
            .ok_or_else(|| Failure::not_found("Record Not Found"))?;
        match request.action {
            ContractorAction::Approve => self.approve_contractor_at(index)?,
            ContractorAction::Revoke => self.revoke_contractor_at(index),
        }
        Ok(Reply {
            status: 200,
            body: json!({ "message": "Contractor updated." }),
        })
    }

    pub(super) fn approve_contractor_at(&mut self, index: usize) -> Result<(), Failure> {
        let rec = &mut self.contractors[index];
        if rec.revoked {
            return Err(Failure::bad_request(
                "The contractor was revoked and cannot be approved",
            ));
        }
        if rec.record.approved == Some(true) {
            return Ok(());
        }
        rec.record.approved = Some(true);
        let data = serde_json::to_value(&rec.record).expect("models serialize");
        self.emit(WebhookEventName::ContractorApproved, data);
        Ok(())
    }

    pub(super) fn revoke_contractor_at(&mut self, index: usize) {
        if self.contractors[index].revoked {
            return;
        }
        let contractor_id = self.contractors[index].record.id.clone().expect("minted");
        for p in 0..self.permits.len() {
            let permit = &self.permits[p];
            if permit.contractor_id == contractor_id && status::is_live(permit.status) {
                let permit = &mut self.permits[p];
                permit.status = status::ARCHIVED_CODE;
                self.emit_permit(WebhookEventName::PermitUpdated, p);
            }
        }
        let community = self.community();
        let rec = &mut self.contractors[index];
        rec.revoked = true;
        if let Some(communities) = rec.record.communities_ids.as_mut() {
            communities.retain(|c| c.as_str() != community);
        }
        let data = serde_json::to_value(&rec.record).expect("models serialize");
        self.emit(WebhookEventName::ContractorRemoved, data);
    }

    pub fn approve_contractor_hook(
        &mut self,
        id: &ContractorId,
    ) -> Result<Contractor, SimulatorError> {
        let index = self
            .contractor_index(id.as_str())
            .ok_or_else(|| SimulatorError::NotFound {
                kind: "contractor",
                id: id.to_string(),
            })?;
        self.approve_contractor_at(index)
            .map_err(|f| SimulatorError::InvalidState(f.message))?;
        Ok(self.contractors[index].record.clone())
    }

    pub fn contractor(&self, id: &ContractorId) -> Option<Contractor> {
        self.contractor_index(id.as_str())
            .map(|i| self.contractors[i].record.clone())
    }
}

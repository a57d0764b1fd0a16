//! Gates: scanning a pass, and the external NFC visit that opens one, with their refusals.

use super::*;

impl State {
    pub fn scan(
        &mut self,
        code: &str,
        gate: Option<(&PropertyId, GateDirection)>,
    ) -> Result<Scan, ScanRefusal> {
        if self.reissued_codes.contains(code) {
            return Err(ScanRefusal::Reissued);
        }
        let index = *self
            .index
            .permit_by_code
            .get(code)
            .ok_or(ScanRefusal::UnknownCode)?;
        let now = self.clock.now_ms();
        let permit = &self.permits[index];
        let (property, direction) = match gate {
            Some((property, direction)) => (property.clone(), direction),
            None => (permit.property_id.clone(), GateDirection::Entry),
        };
        match permit.status {
            status::REVOKED_CODE => return Err(ScanRefusal::Revoked),
            status::ARCHIVED_CODE => return Err(ScanRefusal::Archived),
            status::EXPIRED_CODE => return Err(ScanRefusal::Expired),
            status::ACCEPTED_CODE => {}
            _ => return Err(ScanRefusal::Inactive),
        }
        if now >= PermitRec::millis(&permit.valid_till) {
            return Err(ScanRefusal::Expired);
        }
        if now < PermitRec::millis(&permit.valid_from) {
            return Err(ScanRefusal::Inactive);
        }
        if property != permit.property_id {
            return Err(ScanRefusal::WrongLocation);
        }
        let first = !permit.scanned;
        let permit_id = permit.id.clone();
        let flat_id = permit.flat_id.clone();
        self.permits[index].scanned = true;
        self.emit_permit(WebhookEventName::PermitScanned, index);
        if first {
            self.emit_permit(WebhookEventName::PermitFirstScanned, index);
        }
        if direction == GateDirection::Exit {
            self.emit_permit(WebhookEventName::PermitLastScanned, index);
        }
        let log_id = EventLogId::new(self.mint_id());
        // The log record holds what the spec describes, nothing more (no drift of our own).
        let extra = Map::new();
        self.logs.push(LogRec {
            id: log_id,
            visit_type: VisitType::CommunityPass,
            property_id: property,
            flat_id: Some(flat_id),
            at: now,
            extra,
        });
        Ok(Scan {
            permit_id,
            direction,
            first,
        })
    }

    /// The NFC visit's documented refusals, in the documentation's own words; they come
    /// before the schema's (the `first` check of the `POST /visits` route, in `routes.rs`).
    /// Answers the secret, the document id, the phone and the email.
    pub fn nfc_visit_documented_checks(body: &Value) -> Result<NfcVisitFields, Failure> {
        let Some(object) = body.as_object() else {
            return Err(Failure::bad_request("The body must be a JSON object"));
        };
        let text = |field: &str| {
            object
                .get(field)
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        if text("visitType").as_deref() != Some("externalNfc") {
            return Err(Failure::bad_request("visitType must be externalNfc"));
        }
        let Some(secret) = text("deviceSecret") else {
            return Err(Failure::bad_request("Device secret is required"));
        };
        let Some(document_id) = text("documentId") else {
            return Err(Failure::bad_request("Document ID is required"));
        };
        let (phone, email) = (text("phone"), text("email"));
        if phone.is_none() && email.is_none() {
            return Err(Failure::bad_request("Email or phone is required"));
        }
        Ok((secret, document_id, phone, email))
    }

    pub fn create_visit(&mut self, body: &Value) -> Answer {
        let (secret, document_id, phone, email) = Self::nfc_visit_documented_checks(body)?;
        let device = self
            .seed
            .nfc_devices
            .iter()
            .find(|d| d.secret == secret)
            .cloned()
            .ok_or_else(|| Failure::bad_request("Device not found"))?;
        let resident = self
            .seed
            .residents
            .iter()
            .find(|r| {
                r.document_id == document_id
                    && (phone.as_deref() == Some(r.phone.as_str())
                        || email
                            .as_deref()
                            .is_some_and(|e| e.eq_ignore_ascii_case(&r.email)))
            })
            .cloned()
            .ok_or_else(|| Failure::bad_request("User doesn't exists"))?;
        if resident.property_id != device.property_id {
            return Err(Failure::bad_request(
                "User doesn't have unit in the building",
            ));
        }
        let now = self.clock.now_ms();
        let key = (document_id, device.property_id.to_string());
        let extra = Map::new();
        let response = match device.direction {
            GateDirection::Entry => {
                self.inside.insert(key, now);
                record!(ExternalNfcVisitResponse {
                    response_code: Some(NfcResponseCode::EntryEventCreated),
                    ..Default::default()
                })
            }
            GateDirection::Exit => {
                let since = self.inside.remove(&key).unwrap_or(now);
                let duration = now - since;
                record!(ExternalNfcVisitResponse {
                    response_code: Some(NfcResponseCode::LeaveEventCreated),
                    leave_event: Some(record!(LeaveEvent {
                        duration: Some(duration),
                        ..Default::default()
                    })),
                    ..Default::default()
                })
            }
        };
        let id = EventLogId::new(self.mint_id());
        self.logs.push(LogRec {
            id,
            visit_type: VisitType::ExternalNfc,
            property_id: device.property_id,
            flat_id: Some(resident.flat_id),
            at: now,
            extra,
        });
        Ok(Reply::json(200, &response))
    }
}

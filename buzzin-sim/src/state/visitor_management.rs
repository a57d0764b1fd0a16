//! Visitor management: event logs, QR accesses and property managers.
//!
//! The external NFC visit, which opens a gate, is in `gates.rs`.

use super::*;
use buzzin::operations::list_events as query;

impl State {
    pub fn list_events(&self, query: &[(String, String)]) -> Answer {
        let mut limit: u64 = 10;
        let mut skip: u64 = 0;
        let mut newest_first = true;
        let mut filters: Vec<LogFilter> = Vec::new();
        for (name, value) in query {
            let number = || {
                value.parse::<i64>().map_err(|_| {
                    Failure::bad_request(format!("`{name}` must be an integer, not `{value}`"))
                })
            };
            let instant = || {
                Timestamp::parse(value)
                    .ok()
                    .and_then(|t| t.unix_millis())
                    .ok_or_else(|| {
                        Failure::bad_request(format!("`{name}` must be a date-time, not `{value}`"))
                    })
            };
            match name.as_str() {
                query::LIMIT => {
                    let n = number()?;
                    if n < 0 {
                        return Err(Failure::bad_request("`$limit` must not be negative"));
                    }
                    limit = n.min(50) as u64;
                }
                query::SKIP => {
                    let n = number()?;
                    if n < 0 {
                        return Err(Failure::bad_request("`$skip` must not be negative"));
                    }
                    skip = n as u64;
                }
                query::SORT_CREATED_AT => match number()? {
                    -1 => newest_first = true,
                    1 => newest_first = false,
                    _ => return Err(Failure::bad_request("`$sort[createdAt]` must be 1 or -1")),
                },
                query::PROPERTY_ID => {
                    let v = value.clone();
                    filters.push(Box::new(move |r| r.property_id.as_str() == v));
                }
                query::FLAT_ID => {
                    let v = value.clone();
                    filters.push(Box::new(move |r| {
                        r.flat_id.as_ref().is_some_and(|f| f.as_str() == v)
                    }));
                }
                query::VISIT_TYPE => {
                    let v = value.clone();
                    filters.push(Box::new(move |r| r.visit_type.as_str() == v));
                }
                query::CREATED_AT_GTE => {
                    let t = instant()?;
                    filters.push(Box::new(move |r| r.at >= t));
                }
                query::CREATED_AT_LTE => {
                    let t = instant()?;
                    filters.push(Box::new(move |r| r.at <= t));
                }
                other => {
                    return Err(Failure::bad_request(format!(
                        "Unknown query parameter `{other}`"
                    )))
                }
            }
        }
        let mut matching: Vec<&LogRec> = self
            .logs
            .iter()
            .filter(|r| filters.iter().all(|f| f(r)))
            .collect();
        // Records are stored oldest first; equal instants keep their order.
        if newest_first {
            matching.reverse();
        }
        let total = matching.len() as u64;
        let data = matching
            .into_iter()
            .skip(usize::try_from(skip).unwrap_or(usize::MAX))
            .take(usize::try_from(limit).unwrap_or(usize::MAX))
            .map(|r| {
                record!(EventLogRecord {
                    id: Some(r.id.clone()),
                    visit_type: Some(r.visit_type.clone()),
                    property_id: Some(r.property_id.clone()),
                    flat_id: r.flat_id.clone(),
                    created_at: Some(Timestamp::from_unix_millis(r.at)),
                    extra: r.extra.clone(),
                })
            })
            .collect();
        Ok(Reply::json(
            200,
            &record!(EventLogPage {
                total: Some(total),
                limit: Some(limit),
                skip: Some(skip),
                data: Some(data),
                ..Default::default()
            }),
        ))
    }

    pub fn create_access(&mut self, body: &Value) -> Answer {
        let request: CreateQrAccessRequest = parse(body)?;
        if request.visitor.name.trim().is_empty() {
            return Err(Failure::bad_request("`visitor.name` is required"));
        }
        if request.visitor.phone.is_none() && request.visitor.email.is_none() {
            return Err(Failure::bad_request(
                "The visitor's phone or email is required",
            ));
        }
        let from = millis(&request.valid_from, "validFrom")?;
        let till = millis(&request.valid_till, "validTill")?;
        check_validity(from, till, self.clock.now_ms())?;
        let property = self
            .seed
            .property_by_id(request.property_id.as_str())
            .ok_or_else(|| Failure::not_found("Property not found in the community"))?
            .id
            .clone();
        self.resolve_flat(&property, &FlatRef::Id(request.flat_id.clone()))?;
        let code = Self::mint_code();
        let id = AccessId::new(self.mint_id());
        let image_path = format!("accesses/{id}-qr.png");
        self.files.insert(
            image_path.clone(),
            ("image/png".into(), PLACEHOLDER_PNG.to_vec()),
        );
        let mut access = record!(QrAccess {
            id: Some(id),
            access_code: Some(code.clone()),
            qr_token: Some(code),
            qr_image_url: Some(format!("{}/public/{image_path}", self.base_url)),
            qr_image_base64: Some(
                base64::engine::general_purpose::STANDARD.encode(PLACEHOLDER_PNG),
            ),
            valid_from: Some(request.valid_from),
            valid_till: Some(request.valid_till),
            ..Default::default()
        });
        access.extra.insert("propertyId".into(), json!(property));
        access.extra.insert("flatId".into(), json!(request.flat_id));
        access.extra.insert(
            "visitor".into(),
            serde_json::to_value(&request.visitor).expect("models serialize"),
        );
        self.accesses.push(access.clone());
        Ok(Reply::json(201, &access))
    }

    pub(super) fn check_properties(&self, ids: &[PropertyId]) -> Result<(), Failure> {
        match ids
            .iter()
            .find(|id| self.seed.property_by_id(id.as_str()).is_none())
        {
            Some(id) => Err(Failure::not_found(format!(
                "Property `{id}` not found in the community"
            ))),
            None => Ok(()),
        }
    }

    pub(super) fn email_taken_by_user(&self, email: &str, except: Option<usize>) -> bool {
        self.users.iter().enumerate().any(|(i, u)| {
            Some(i) != except
                && u.record
                    .email
                    .as_deref()
                    .is_some_and(|e| e.eq_ignore_ascii_case(email))
        })
    }

    pub fn create_user(&mut self, body: &Value) -> Answer {
        let request: CreatePropertyManagerRequest = parse(body)?;
        for (field, value) in [
            ("name", &request.name),
            ("email", &request.email),
            ("phone", &request.phone),
        ] {
            if value.trim().is_empty() {
                return Err(Failure::bad_request(format!("`{field}` is required")));
            }
        }
        if request.role.as_str() != "propertyManager" {
            return Err(Failure::bad_request("`role` must be propertyManager"));
        }
        self.check_properties(&request.properties_ids)?;
        if self.email_taken_by_user(&request.email, None) {
            return Err(Failure::conflict("A user with this email already exists"));
        }
        let record = record!(PropertyManager {
            id: Some(UserId::new(self.mint_id())),
            name: Some(request.name),
            email: Some(request.email),
            phone: Some(request.phone),
            role: Some(request.role),
            properties_ids: Some(request.properties_ids),
            ..Default::default()
        });
        self.users.push(UserRec {
            record: record.clone(),
        });
        Ok(Reply::json(201, &record))
    }

    pub fn update_user(&mut self, id: &str, body: &Value) -> Answer {
        let request: UpdatePropertyManagerRequest = parse(body)?;
        let index = self
            .users
            .iter()
            .position(|u| u.record.id.as_ref().is_some_and(|i| i.as_str() == id))
            .ok_or_else(|| Failure::not_found("Record Not Found"))?;
        if let Some(ids) = &request.properties_ids {
            self.check_properties(ids)?;
        }
        if let Some(email) = &request.email
            && self.email_taken_by_user(email, Some(index))
        {
            return Err(Failure::conflict("A user with this email already exists"));
        }
        if request.name.as_deref().is_some_and(|n| n.trim().is_empty()) {
            return Err(Failure::bad_request("`name` must not be empty"));
        }
        if request
            .role
            .as_ref()
            .is_some_and(|r| r.as_str() != "propertyManager")
        {
            return Err(Failure::bad_request("`role` must be propertyManager"));
        }
        let record = &mut self.users[index].record;
        update(&mut record.name, request.name);
        update(&mut record.email, request.email);
        update(&mut record.phone, request.phone);
        update(&mut record.role, request.role);
        update(&mut record.properties_ids, request.properties_ids);
        Ok(Reply::json(200, record))
    }
}

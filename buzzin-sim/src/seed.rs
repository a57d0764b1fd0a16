//! The community every simulator starts with: its properties, units, residents and NFC gates.

use std::fmt;

use buzzin::models::{CommunityId, FlatId, PropertyId};

/// The records a [`Simulator`](super::Simulator) starts with. They are the same in every
/// simulator, so tests and examples can name them (`DAMAC-TWR-07`, `UNIT-0712`, …).
///
/// The ids of the community, of `DAMAC-TWR-07` and of `UNIT-0712` are those of the Buzz-In
/// documentation's examples.
///
/// ```
/// use buzzin_sim::Seed;
///
/// let seed = Seed::standard();
/// let tower = seed.property("DAMAC-TWR-07").unwrap();
/// assert_eq!(tower.id.as_str(), "66e0000000000000000000a1");
/// assert_eq!(seed.flat("UNIT-0712").unwrap().property_id, tower.id);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Seed {
    /// The community the simulator's API key acts in.
    pub community_id: CommunityId,
    /// The community's properties (buildings), each with its units.
    pub properties: Vec<SeedProperty>,
    /// Residents known to the community, for the external NFC visit.
    pub residents: Vec<SeedResident>,
    /// The NFC tags at the community's gates, for the external NFC visit.
    pub nfc_devices: Vec<SeedNfcDevice>,
    /// Contractors of *another* community. They are not visible through the API, but their
    /// email addresses are taken (emails are unique across Buzz-In), while their phone numbers
    /// and Salesforce ids are free in this community (those are unique per community).
    pub other_community_contractors: Vec<SeedOtherContractor>,
}

/// A property (a building) of the seeded community.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct SeedProperty {
    /// Its Buzz-In id.
    pub id: PropertyId,
    /// Its DAMAC external id, such as `DAMAC-TWR-07`.
    pub external_id: String,
    /// Its name.
    pub name: String,
    /// Its units (`units` when serialized, as the dashboard names them).
    #[serde(rename = "units")]
    pub flats: Vec<SeedFlat>,
}

/// A unit of a seeded property.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct SeedFlat {
    /// Its Buzz-In id.
    pub id: FlatId,
    /// Its DAMAC external id, such as `UNIT-0712`.
    pub external_id: String,
    /// The property it belongs to.
    pub property_id: PropertyId,
}

/// A resident of the seeded community, who can open a gate by external NFC visit.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct SeedResident {
    /// The resident's Emirates ID (`documentId`).
    pub document_id: String,
    /// The resident's email address.
    pub email: String,
    /// The resident's phone number.
    pub phone: String,
    /// The resident's unit.
    pub flat_id: FlatId,
    /// The property of the resident's unit.
    pub property_id: PropertyId,
}

/// Which way a gate's NFC tag lets people through.
///
/// Assumed: the documentation says only that "the device behind `deviceSecret` decides" whether
/// a visit is an entry or an exit; the simulator gives each tag one direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum GateDirection {
    /// In: an entry event (`entryEventCreated`).
    Entry,
    /// Out: a leave event (`leaveEventCreated`) with the visit's duration.
    Exit,
}

/// The NFC tag of a gate. Its [`Debug`](fmt::Debug) hides the secret.
#[derive(Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct SeedNfcDevice {
    /// The secret the tag yields (`deviceSecret`). Never serialized: the dashboard names a
    /// tag by its position.
    #[serde(skip)]
    pub secret: String,
    /// The property whose gate the tag is on.
    pub property_id: PropertyId,
    /// Entry or exit.
    pub direction: GateDirection,
}

impl fmt::Debug for SeedNfcDevice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SeedNfcDevice")
            .field("secret", &"<redacted>")
            .field("property_id", &self.property_id)
            .field("direction", &self.direction)
            .finish()
    }
}

/// A contractor registered in another community (see
/// [`Seed::other_community_contractors`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SeedOtherContractor {
    /// Its email address: taken across Buzz-In.
    pub email: String,
    /// Its phone number: free in the simulated community.
    pub phone: String,
    /// Its Salesforce id: free in the simulated community.
    pub salesforce_id: String,
}

impl Seed {
    /// The standard seed: the community of the documentation's examples with two towers.
    ///
    /// - `DAMAC-TWR-07` (`66e0000000000000000000a1`): units `UNIT-0712`
    ///   (`66e0000000000000000000b2`), `UNIT-0713` and `UNIT-0714`.
    /// - `DAMAC-TWR-08` (`66e0000000000000000000a2`): units `UNIT-0801` and `UNIT-0802`.
    /// - Residents: the documentation's (`784-1234-5678901-2`, `resident@example.com`,
    ///   `+971501234567`) in `UNIT-0712`, and `784-1987-7654321-0` (`tenant@example.com`,
    ///   `+971509876543`) in `UNIT-0801`.
    /// - NFC tags: the documentation's `abc123xyz789...` is the entry gate of `DAMAC-TWR-07`;
    ///   `sim-nfc-twr07-exit`, `sim-nfc-twr08-entry` and `sim-nfc-twr08-exit` are the others.
    pub fn standard() -> Self {
        let twr07 = PropertyId::new("66e0000000000000000000a1");
        let twr08 = PropertyId::new("66e0000000000000000000a2");
        let flat = |id: &str, external: &str, property: &PropertyId| SeedFlat {
            id: FlatId::new(id),
            external_id: external.to_owned(),
            property_id: property.clone(),
        };
        let device = |secret: &str, property: &PropertyId, direction| SeedNfcDevice {
            secret: secret.to_owned(),
            property_id: property.clone(),
            direction,
        };
        Seed {
            community_id: CommunityId::new("6840270a99ca91002185fcd6"),
            properties: vec![
                SeedProperty {
                    id: twr07.clone(),
                    external_id: "DAMAC-TWR-07".into(),
                    name: "DAMAC Tower 7".into(),
                    flats: vec![
                        flat("66e0000000000000000000b2", "UNIT-0712", &twr07),
                        flat("66e0000000000000000000b3", "UNIT-0713", &twr07),
                        flat("66e0000000000000000000b4", "UNIT-0714", &twr07),
                    ],
                },
                SeedProperty {
                    id: twr08.clone(),
                    external_id: "DAMAC-TWR-08".into(),
                    name: "DAMAC Tower 8".into(),
                    flats: vec![
                        flat("66e0000000000000000000c1", "UNIT-0801", &twr08),
                        flat("66e0000000000000000000c2", "UNIT-0802", &twr08),
                    ],
                },
            ],
            residents: vec![
                SeedResident {
                    document_id: "784-1234-5678901-2".into(),
                    email: "resident@example.com".into(),
                    phone: "+971501234567".into(),
                    flat_id: FlatId::new("66e0000000000000000000b2"),
                    property_id: twr07.clone(),
                },
                SeedResident {
                    document_id: "784-1987-7654321-0".into(),
                    email: "tenant@example.com".into(),
                    phone: "+971509876543".into(),
                    flat_id: FlatId::new("66e0000000000000000000c1"),
                    property_id: twr08.clone(),
                },
            ],
            nfc_devices: vec![
                device("abc123xyz789...", &twr07, GateDirection::Entry),
                device("sim-nfc-twr07-exit", &twr07, GateDirection::Exit),
                device("sim-nfc-twr08-entry", &twr08, GateDirection::Entry),
                device("sim-nfc-twr08-exit", &twr08, GateDirection::Exit),
            ],
            other_community_contractors: vec![SeedOtherContractor {
                email: "taken@other-community.example".into(),
                phone: "+971500000099".into(),
                salesforce_id: "a0B5g000000OTHERAW".into(),
            }],
        }
    }

    /// The property with this DAMAC external id.
    pub fn property(&self, external_id: &str) -> Option<&SeedProperty> {
        self.properties
            .iter()
            .find(|p| p.external_id == external_id)
    }

    /// The unit with this DAMAC external id, in any property.
    pub fn flat(&self, external_id: &str) -> Option<&SeedFlat> {
        self.properties
            .iter()
            .flat_map(|p| &p.flats)
            .find(|f| f.external_id == external_id)
    }

    pub(crate) fn property_by_id(&self, id: &str) -> Option<&SeedProperty> {
        self.properties.iter().find(|p| p.id.as_str() == id)
    }

    pub(crate) fn flat_by_id(&self, id: &str) -> Option<&SeedFlat> {
        self.properties
            .iter()
            .flat_map(|p| &p.flats)
            .find(|f| f.id.as_str() == id)
    }
}

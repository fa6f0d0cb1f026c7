//! What the profile keeps sealed at rest (docs/architecture.md §7): a client's tax id and a
//! contact's phone and e-mail are encrypted in every stored copy — the current record, its
//! history, the change feed — and their lookup keys are blind indexes. A record is sealed
//! when it is encoded for the database and opened when it is decoded from it; the rest of
//! the service only ever sees clear values.

use crm_kit::{ApiResult, crypto::FieldCipher, db::doc};
use crm_proto::crm::profile::v1::{Client, Contact, FinancialStatement, Holding};
use prost::Message;
use sqlx::any::AnyRow;

use crate::domain::lookup::LookupKey;

/// A record kept in the profile database.
pub trait Stored: Message + Default + Sized {
    /// The record with its sensitive values sealed.
    fn sealed(&self, cipher: &FieldCipher) -> Self;
    /// The record with its sensitive values opened.
    fn opened(self, cipher: &FieldCipher) -> ApiResult<Self>;
}

impl Stored for Client {
    fn sealed(&self, cipher: &FieldCipher) -> Self {
        Self { tax_id: cipher.seal("client.tax_id", &self.tax_id), ..self.clone() }
    }

    fn opened(mut self, cipher: &FieldCipher) -> ApiResult<Self> {
        self.tax_id = cipher.open("client.tax_id", &self.tax_id)?;
        Ok(self)
    }
}

impl Stored for Contact {
    fn sealed(&self, cipher: &FieldCipher) -> Self {
        Self {
            phone: cipher.seal("contact.phone", &self.phone),
            email: cipher.seal("contact.email", &self.email),
            ..self.clone()
        }
    }

    fn opened(mut self, cipher: &FieldCipher) -> ApiResult<Self> {
        self.phone = cipher.open("contact.phone", &self.phone)?;
        self.email = cipher.open("contact.email", &self.email)?;
        Ok(self)
    }
}

/// Holdings and statements hold nothing sealed.
macro_rules! in_clear {
    ($($record:ty),+) => {
        $(impl Stored for $record {
            fn sealed(&self, _: &FieldCipher) -> Self {
                self.clone()
            }

            fn opened(self, _: &FieldCipher) -> ApiResult<Self> {
                Ok(self)
            }
        })+
    };
}

in_clear!(Holding, FinancialStatement);

/// The stored encoding of a record.
pub fn encode<M: Stored>(cipher: &FieldCipher, record: &M) -> Vec<u8> {
    record.sealed(cipher).encode_to_vec()
}

/// The record in the `doc` column of a row, opened.
pub fn decode<M: Stored>(cipher: &FieldCipher, row: &AnyRow) -> ApiResult<M> {
    doc::<M>(row)?.opened(cipher)
}

/// The records in the `doc` column of rows, opened.
pub fn decode_all<M: Stored>(cipher: &FieldCipher, rows: &[AnyRow]) -> ApiResult<Vec<M>> {
    rows.iter().map(|row| decode(cipher, row)).collect()
}

/// A stored change-feed payload, opened.
pub fn decode_payload<M: Stored>(cipher: &FieldCipher, payload: &[u8]) -> ApiResult<M> {
    crm_kit::feed::decode_payload::<M>(payload)?.opened(cipher)
}

/// The value a lookup key is stored and searched under: a blind index for the kinds that
/// are personal or secret (tax id, phone, e-mail), the normalised value for public
/// identifiers (LEI, registration number, account number).
pub fn key_value(cipher: &FieldCipher, key: &LookupKey) -> String {
    match key.kind {
        "tax" | "phone" | "email" => cipher.blind(key.kind, &key.value),
        _ => key.value.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_fields_round_trip_and_never_appear_in_the_encoding() {
        let cipher = FieldCipher::ephemeral();
        let client =
            Client { tax_id: "91310000MA1FL0XX12".into(), display_name: "华信".into(), ..Default::default() };
        let bytes = encode(&cipher, &client);
        assert!(!String::from_utf8_lossy(&bytes).contains("91310000MA1FL0XX12"));
        let back = Client::decode(bytes.as_slice()).expect("decodes").opened(&cipher).expect("opens");
        assert_eq!(back, client);
        let contact = Contact { phone: "+8613800138000".into(), email: "wang@huaxin.cn".into(), ..Default::default() };
        let bytes = encode(&cipher, &contact);
        assert!(!String::from_utf8_lossy(&bytes).contains("13800138000"));
        assert_eq!(Contact::decode(bytes.as_slice()).expect("decodes").opened(&cipher).expect("opens"), contact);
    }
}

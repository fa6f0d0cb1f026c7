//! Masking of sensitive values for callers without need to know.

use crm_proto::crm::profile::v1::{Client, Contact};

/// Keeps the last `keep` characters, replacing the rest with `*`.
fn keep_tail(value: &str, keep: usize) -> String {
    let chars: Vec<char> = value.chars().collect();
    let shown = chars.len().min(keep).min(chars.len() / 2);
    let hidden = chars.len() - shown;
    std::iter::repeat_n('*', hidden).chain(chars[hidden..].iter().copied()).collect()
}

/// `91310000MA1FL0XX12` → `**************XX12`.
pub fn tax_id(value: &str) -> String {
    keep_tail(value, 4)
}

/// `+8613800138000` → `+86*******8000`.
pub fn phone(value: &str) -> String {
    let prefix: String = value.chars().take(3).collect();
    let rest: String = value.chars().skip(3).collect();
    format!("{prefix}{}", keep_tail(&rest, 4))
}

/// `wang.jianguo@huaxin.cn` → `w***@huaxin.cn`.
pub fn email(value: &str) -> String {
    match value.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => keep_tail(value, 2),
    }
}

/// Masks a client's sensitive fields in place.
pub fn client(c: &mut Client) {
    if !c.tax_id.is_empty() {
        c.tax_id = tax_id(&c.tax_id);
    }
}

/// Masks a contact's details in place.
pub fn contact(c: &mut Contact) {
    if !c.phone.is_empty() {
        c.phone = phone(&c.phone);
    }
    if !c.email.is_empty() {
        c.email = email(&c.email);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_keep_only_a_recognisable_tail() {
        assert_eq!(tax_id("91310000MA1FL0XX12"), "**************XX12");
        assert_eq!(tax_id("123"), "**3");
        assert_eq!(phone("+8613800138000"), "+86*******8000");
        assert_eq!(email("wang.jianguo@huaxin.cn"), "w***@huaxin.cn");
    }
}

//! Deterministic battle ids: UUID v5 of the system and the earliest killmail.

use uuid::Uuid;

/// Namespace of battle ids (fixed forever: changing it renames every battle).
pub const BATTLE_NAMESPACE: Uuid = Uuid::from_u128(0x6f0b_3c9e_5d1a_4e8b_9a57_3c2d_1e0f_4b7a);

/// The id of a battle in `system_id` whose earliest killmail (by time, then
/// id) is `killmail_id`. Stable across runs, machines and languages: the
/// UUID v5 of the text `"{system_id}:{killmail_id}"`.
#[must_use]
pub fn battle_id(system_id: u32, killmail_id: u64) -> Uuid {
    Uuid::new_v5(
        &BATTLE_NAMESPACE,
        format!("{system_id}:{killmail_id}").as_bytes(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable() {
        assert_eq!(battle_id(30000142, 1), battle_id(30000142, 1));
        assert_ne!(battle_id(30000142, 1), battle_id(30000142, 2));
        assert_ne!(battle_id(30000142, 1), battle_id(30000143, 1));
        assert_eq!(battle_id(30000142, 1).get_version_num(), 5);
        // Golden value: a change here renames every stored battle.
        assert_eq!(
            battle_id(30000142, 123_456_789).to_string(),
            Uuid::new_v5(&BATTLE_NAMESPACE, b"30000142:123456789").to_string()
        );
    }
}

//! The real zKillboard and ESI samples the stub serves, compiled into the
//! binary so `battlescope stub` works from any directory. Their origin is
//! recorded in `crates/battlescope-core/tests/fixtures/SOURCES.md`.

macro_rules! fixture {
    ($path:literal) => {
        include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../crates/battlescope-core/tests/fixtures/",
            $path
        ))
    };
}

/// R2Z2 items (`ephemeral/<sequence>.json`), in feed order.
pub(super) const R2Z2_ITEMS: &[&[u8]] = &[
    fixture!("r2z2/96599404.json"),
    fixture!("r2z2/96724073.json"),
];

/// RedisQ packages: one with the embedded killmail, one of the newer
/// zkb-only kind (its killmail is not among the ESI samples, so ESI answers
/// 404 for it, as it does for a hash it does not know).
pub(super) const REDISQ_PACKAGES: &[&[u8]] = &[
    fixture!("redisq/package-119455394.json"),
    fixture!("redisq/package-130678514-zkb-only.json"),
];

/// ESI killmail bodies whose hash is known from a zKillboard sample, so the
/// stub can serve them at `/killmails/{id}/{hash}/`. The other ESI samples
/// have no known hash and are not served.
pub(super) const ESI_KILLMAILS: &[(u64, &str, &[u8])] = &[
    (
        134_265_477,
        "aa937ee180fca44b172de00f2a26e751f5b2a851",
        fixture!("esi/killmail-134265477.json"),
    ),
    (
        119_455_394,
        "d2913bf8250db18456601a8ae061441e89ccadf3",
        fixture!("esi/killmail-119455394.json"),
    ),
    (
        111_519_365,
        "84e4c1cb3d55389e213e34ebf3b9a1b0b6b3ac89",
        fixture!("esi/killmail-111519365.json"),
    ),
    (
        88_486_806,
        "3c9ed419c00f123ff8d46475b05b70616d1381d8",
        fixture!("esi/killmail-88486806.json"),
    ),
];

//! The project's one source of randomness: splitmix64 sequences from a seed, so every run of a
//! scenario draws the same numbers (`States.UUID`, `States.MathRandom`, `$random`, `$uuid`,
//! jitter, Map Run ids), and the version-4 UUID text made from two draws.

use std::cell::Cell;

const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The next number of the sequence whose state is `state`.
pub(crate) fn next(state: &Cell<u64>) -> u64 {
    let z = state.get().wrapping_add(GOLDEN);
    state.set(z);
    mix(z)
}

/// The first number of the sequence seeded with `seed`.
pub(crate) fn first(seed: u64) -> u64 {
    mix(seed.wrapping_add(GOLDEN))
}

/// A version-4 UUID (`xxxxxxxx-xxxx-4xxx-[89ab]xxx-xxxxxxxxxxxx`) from two random numbers.
pub(crate) fn uuid(a: u64, b: u64) -> String {
    let a = (a & 0xFFFF_FFFF_FFFF_0FFF) | 0x0000_0000_0000_4000;
    let b = (b & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000;
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xFFFF,
        a & 0xFFFF,
        b >> 48,
        b & 0xFFFF_FFFF_FFFF
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequences_repeat_and_uuids_are_version_4() {
        let (s, t) = (Cell::new(7), Cell::new(7));
        assert_eq!([next(&s), next(&s)], [next(&t), next(&t)]);
        assert_eq!(first(7), next(&Cell::new(7)));
        let u = uuid(u64::MAX, 0);
        assert_eq!(u, "ffffffff-ffff-4fff-8000-000000000000");
    }
}

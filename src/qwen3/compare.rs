//! How close two sets of logits are: argmax agreement, the largest absolute difference, and the
//! mean KL divergence of the softmax distributions.

/// Agreement of our logits with a reference's, over the positions of one prompt.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LogitAgreement {
    /// Positions compared.
    pub positions: usize,
    /// Positions whose argmax is the reference's.
    pub argmax_matches: usize,
    /// `max |ours - reference|` over every logit.
    pub max_abs_diff: f64,
    /// Mean over positions of `KL(softmax(reference) || softmax(ours))`, in nats.
    pub mean_kl: f64,
}

impl LogitAgreement {
    /// Combines the agreement of several prompts.
    pub fn merge(self, other: LogitAgreement) -> LogitAgreement {
        let positions = self.positions + other.positions;
        LogitAgreement {
            positions,
            argmax_matches: self.argmax_matches + other.argmax_matches,
            max_abs_diff: self.max_abs_diff.max(other.max_abs_diff),
            mean_kl: (self.mean_kl * self.positions as f64
                + other.mean_kl * other.positions as f64)
                / positions.max(1) as f64,
        }
    }

    /// True when every position's argmax agrees.
    pub fn all_argmax_match(&self) -> bool {
        self.argmax_matches == self.positions
    }
}

fn log_softmax(row: &[f32]) -> Vec<f64> {
    let max = row.iter().fold(f64::NEG_INFINITY, |m, &v| m.max(v as f64));
    let log_sum = row
        .iter()
        .map(|&v| (v as f64 - max).exp())
        .sum::<f64>()
        .ln()
        + max;
    row.iter().map(|&v| v as f64 - log_sum).collect()
}

/// Compares `ours` with `reference`, both `[positions, vocab]` row-major.
pub fn compare_logits(ours: &[f32], reference: &[f32], vocab: usize) -> LogitAgreement {
    assert_eq!(
        ours.len(),
        reference.len(),
        "logit tensors of different sizes"
    );
    let positions = ours.len() / vocab.max(1);
    let mut out = LogitAgreement {
        positions,
        argmax_matches: 0,
        max_abs_diff: 0.0,
        mean_kl: 0.0,
    };
    for (a, b) in ours.chunks(vocab).zip(reference.chunks(vocab)) {
        if super::forward::argmax(a) == super::forward::argmax(b) {
            out.argmax_matches += 1;
        }
        for (x, y) in a.iter().zip(b) {
            out.max_abs_diff = out.max_abs_diff.max((*x as f64 - *y as f64).abs());
        }
        let (la, lb) = (log_softmax(a), log_softmax(b));
        let kl: f64 = la
            .iter()
            .zip(&lb)
            .map(|(qa, pb)| pb.exp() * (pb - qa))
            .sum();
        out.mean_kl += kl.max(0.0) / positions as f64;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_logits_agree_perfectly() {
        let a = [1.0f32, 2.0, 3.0, 0.5, 0.1, 0.2];
        let r = compare_logits(&a, &a, 3);
        assert_eq!(r.positions, 2);
        assert_eq!(r.argmax_matches, 2);
        assert_eq!(r.max_abs_diff, 0.0);
        assert!(r.mean_kl.abs() < 1e-15);
    }

    #[test]
    fn kl_of_a_known_pair() {
        // p = softmax([0, 0]) = [1/2, 1/2]; q = softmax([ln 3, 0]) = [3/4, 1/4].
        let r = compare_logits(&[3f32.ln(), 0.0], &[0.0, 0.0], 2);
        let expected = 0.5 * (0.5f64 / 0.75).ln() + 0.5 * (0.5f64 / 0.25).ln();
        assert!((r.mean_kl - expected).abs() < 1e-7, "{}", r.mean_kl);
        // The reference's tie resolves to the first index, as ours does.
        assert_eq!(r.argmax_matches, 1);
    }
}

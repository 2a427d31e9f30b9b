import NTPFormats

extension Separability {
    /// Settles "separable" with any W (V × d row-major) as the certificate — from an LP, a first-order
    /// method, training or a user's file — once one pass over all constraints verifies it.
    ///
    /// `projector` maps W onto 𝓕^⊥ first: a trained W's 𝓕 part tends to W*, not 0, so its in-support
    /// logits are not tied until it is removed. W is then scaled so that its smallest margin is 1.
    /// Returns nil when some margin is not positive (this W proves nothing), else a verified separable
    /// result, or at-threshold when its normalized margin is below 10τ.
    public static func certify(weights: [Double], data: DataSet, features: ContextFeatures,
                               options: SeparabilityOptions = SeparabilityOptions(),
                               projector: ((inout [Double]) -> Void)? = nil, source: String) -> SeparabilityResult? {
        guard weights.count == data.vocabularySize * features.dimension else { return nil }
        var w = weights
        projector?(&w)
        guard let (cert, check) = unitMarginCertificate(consume w, data: data, features: features, tolerance: options.tolerance) else { return nil }
        var result = separableResult(cert, check, features: features, options: options, lp: nil)
        result.tolerance = options.tolerance
        result.method = "certified from \(source)"
        return result
    }

    /// W (V × d row-major) divided by its smallest margin, so that every margin is ≥ 1, and verified
    /// (ties to τ·scale); nil when some margin is not positive or the scaled W fails. `minMargin`: W's
    /// smallest margin when the caller has it (`verify`), so that W is not checked twice.
    /// W is divided in place when the caller hands over its only reference (`consume`): a V × d copy of
    /// 1.3 GB took 3.3–4 s of page faults on a busy machine (300 Sherlock contexts, positional one-hot).
    static func unitMarginCertificate(_ w: consuming [Double], data: DataSet, features: ContextFeatures, tolerance: Double,
                                      minMargin: Double? = nil) -> (SeparatingCertificate, CertificateCheck)? {
        let anchors = Separability.anchors(data)
        let smallest = minMargin
            ?? verify(SeparatingCertificate(weights: copy w, anchors: anchors), data: data, features: features, tolerance: tolerance).minMargin
        guard smallest > 0, smallest.isFinite else { return nil }
        w.withUnsafeMutableBufferPointer { for i in $0.indices { $0[i] /= smallest } }
        let cert = SeparatingCertificate(weights: w, anchors: anchors)
        let check = verify(cert, data: data, features: features, tolerance: tolerance)
        return check.valid ? (cert, check) : nil
    }
}

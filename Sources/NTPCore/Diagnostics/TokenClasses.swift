import NTPFormats

/// Tokens that lie in the supports of exactly the same contexts, merged into one token per class.
///
/// Two such tokens have the same margin rows (each is off the support of the same contexts) and are
/// tied wherever they meet, so one decoder row serves both: the data are NTP-separable iff the data
/// over classes are. Classes are numbered by their smallest token, which represents the class, so
/// the anchor of every context (its smallest support token) is a representative, every row of the
/// merged problem is a row of the original one, and a Farkas certificate carries over by renaming
/// tokens. A separating W carries over by copying each class's row to its members.
///
/// Large vocabularies collapse: on the KJV's 50 most frequent contexts over the whole vocabulary
/// (V = 13,746, 20,098 ties) the supports have 1,957 classes and 11,715 ties; with uniform-null
/// supports 2,881 and 8,614. Most tokens there occur in one context only, or in none.
struct TokenClasses {
    /// The class of every token, numbered by smallest member.
    let classOf: [Int32]
    /// The smallest token of every class.
    let representatives: [Int]
    /// The data set over classes: row j holds the classes of S_j (counts summed), V = class count.
    let reduced: DataSet

    /// The classes of `data`'s tokens; nil when every class is a single token.
    init?(_ data: DataSet) {
        let m = data.contextCount, V = data.vocabularySize
        // The contexts of every token, in context order (CSC of the support pattern).
        var starts = [Int](repeating: 0, count: V + 1)
        for t in data.columns { starts[Int(t) + 1] += 1 }
        for v in 0..<V { starts[v + 1] += starts[v] }
        var next = starts, contextsOf = [Int32](repeating: 0, count: data.columns.count)
        for j in 0..<m {
            for e in data.rowOffsets[j]..<data.rowOffsets[j + 1] {
                let v = Int(data.columns[e])
                contextsOf[next[v]] = Int32(j)
                next[v] += 1
            }
        }
        var classOf = [Int32](repeating: 0, count: V), representatives: [Int] = []
        var classOfContexts: [ArraySlice<Int32>: Int32] = [:]
        for v in 0..<V {
            let key = contextsOf[starts[v]..<starts[v + 1]]
            if let c = classOfContexts[key] { classOf[v] = c; continue }
            classOf[v] = Int32(representatives.count)
            classOfContexts[key] = classOf[v]
            representatives.append(v)
        }
        guard representatives.count < V else { return nil }
        self.classOf = classOf
        self.representatives = representatives
        reduced = Self.merge(data, classOf: classOf, classes: representatives.count)
    }

    /// `data` with every token replaced by its class, counts of one class in a row summed, classes
    /// sorted within each row (the anchor is the first).
    private static func merge(_ data: DataSet, classOf: [Int32], classes: Int) -> DataSet {
        var offsets = [0], columns: [Int32] = [], counts: [Double] = []
        columns.reserveCapacity(data.columns.count)
        counts.reserveCapacity(data.columns.count)
        var slot = [Int](repeating: -1, count: classes)   // where a class sits in the current row
        for j in 0..<data.contextCount {
            let rowStart = columns.count
            for e in data.rowOffsets[j]..<data.rowOffsets[j + 1] {
                let c = classOf[Int(data.columns[e])]
                if slot[Int(c)] >= rowStart { counts[slot[Int(c)]] += data.counts[e]; continue }
                slot[Int(c)] = columns.count
                columns.append(c)
                counts.append(data.counts[e])
            }
            let order = (rowStart..<columns.count).sorted { columns[$0] < columns[$1] }
            let (sortedColumns, sortedCounts) = (order.map { columns[$0] }, order.map { counts[$0] })
            columns.replaceSubrange(rowStart..., with: sortedColumns)
            counts.replaceSubrange(rowStart..., with: sortedCounts)
            offsets.append(columns.count)
        }
        return DataSet(contextCount: data.contextCount, vocabularySize: classes, rowOffsets: offsets,
                       columns: columns, counts: counts)
    }

    /// `result`, decided on `reduced`, as a result on `data`: Farkas multipliers renamed to the
    /// representatives, a separating W with each class's row copied to its members, and either
    /// certificate re-verified on `data`. The bracket keeps its upper end (γ* over classes bounds γ*
    /// over tokens from above: a W over tokens is at least as long as its rows over classes) and takes
    /// its lower end from the copied W.
    func lift(_ result: SeparabilityResult, to data: DataSet, features: ContextFeatures,
              options: SeparabilityOptions) -> SeparabilityResult {
        var out = result
        let note = " (on \(representatives.count) token classes of V = \(data.vocabularySize))"
        if let f = result.farkas {
            func renamed(_ c: ConstraintMultiplier) -> ConstraintMultiplier {
                ConstraintMultiplier(context: c.context, token: representatives[c.token], weight: c.weight)
            }
            out.farkas = FarkasCertificate(marginMultipliers: f.marginMultipliers.map(renamed),
                                           tieMultipliers: f.tieMultipliers.map(renamed),
                                           anchors: f.anchors.map { $0 < 0 ? $0 : representatives[$0] })
        }
        if let f = out.farkas {
            out.check = Separability.verify(f, data: data, features: features, tolerance: options.tolerance)
        } else if let c = result.separating, c.sparse == nil, result.verdict == .separable || result.verdict == .atThreshold {
            let d = features.dimension
            var w = [Double](repeating: 0, count: data.vocabularySize * d)
            for v in 0..<data.vocabularySize {
                let source = Int(classOf[v]) * d
                for i in 0..<d { w[v * d + i] = c.weights[source + i] }
            }
            let cert = SeparatingCertificate(weights: w, anchors: Separability.anchors(data))
            let check = Separability.verify(cert, data: data, features: features, tolerance: options.tolerance)
            if check.valid {
                out = Separability.separableResult(cert, check, features: features, options: options, lp: result.lp,
                                                   upper: result.marginBracket?.upper ?? .infinity)
            } else {
                out.check = check
            }
        }
        if let check = out.check, !check.valid, out.verdict == .separable || out.verdict == .notSeparable {
            out.verdict = .undecided
            out.reason = "the certificate over token classes does not verify on the tokens: \(check.failure ?? "")"
        }
        out.method = result.method + note
        out.firstOrder = result.firstOrder
        out.tolerance = result.tolerance
        return out
    }
}

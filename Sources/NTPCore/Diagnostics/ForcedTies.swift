import COpenBLAS
import NTPFormats

/// "Not separable" from the ties alone, for dense features (theory.md §2).
///
/// A W ⊥ 𝓕 gives every token of a support the same logit, so (w_v − w_u)·h̄_t = 0 for every context t
/// whose support holds both v and u. When those h̄_t span R^d, W's rows v and u are equal, and so are
/// the rows of every token joined to v by a chain of such pairs. A context whose support holds v but
/// not a token u of v's chain then has margin (w_v − w_u)·h̄_j = 0: no W separates the data.
///
/// The Farkas pair writes that argument down: α = 1 on the margin row (j, u), β = 1 on the tie row
/// (j, v), and for each pair (x, y) of the chain the coefficients c of h̄_j = Σ_t c_t h̄_t over the
/// contexts t that hold both (least squares), with β_{t,x} = −c_t and β_{t,y} = +c_t.
/// Why: real text puts the same frequent tokens ("the", ",", "and") in the supports of hundreds of
/// frequent contexts. On the 2,000 most frequent KJV contexts 37 token pairs share more than 500
/// contexts, so Gaussian features of d ≤ 500 are decided here at once, while the LPs and the
/// minimum-norm point cannot even be built at that size.
enum ForcedTies {
    /// At most this many token pairs (the most shared) are joined into chains.
    static let maxPairs = 256
    /// Largest d tried (each chain link is a d × |T| least-squares problem).
    static let maxDimension = 4_096
    /// Budget of the pair count Σ_j |S_j ∩ candidates|² / 2.
    static let maxPairUpdates = 200_000_000

    /// A verified Farkas result, or nil when no chain of spanning pairs reaches a context that splits it.
    static func decide(_ data: DataSet, features: ContextFeatures, options: SeparabilityOptions) -> SeparabilityResult? {
        guard case .dense(let h) = features.storage else { return nil }
        let d = features.dimension, m = data.contextCount
        guard d > 0, d <= maxDimension, m > d else { return nil }
        var chains = TieChains(data: data, dimension: d)
        var attempts = 0
        while attempts < 8, let (j, path) = chains.splitContext() {
            attempts += 1
            let cert: FarkasCertificate
            switch certificate(context: j, path: path, data: data, h: h, d: d, chains: chains) {
            case .success(let found): cert = found
            case .failure(let link):
                // This link's contexts do not reproduce h̄_j: drop it and look again.
                chains.drop(link)
                continue
            }
            let check = Separability.verify(cert, data: data, features: features, tolerance: options.tolerance)
            guard check.valid else { return nil }
            var result = Separability.notSeparableResult(cert, check, upper: .infinity,
                                                         scale: Separability.constraintScale(features))
            let shared = path.indices.dropLast().map { chains.sharedContexts(path[$0], path[$0 + 1]).count }
            func name(_ t: Int) -> String { data.vocabulary.map { "'\($0[t])'" } ?? "#\(t)" }
            result.method = "forced ties: tokens \(path.map(name).joined(separator: " ~ ")) share a decoder row (the "
                + "\(shared.map(String.init).joined(separator: ", ")) contexts followed by both\(path.count > 2 ? ", pair by pair," : "") "
                + "span R^\(d)), and the certificate's one margin row is a context followed by \(name(path[0])) "
                + "but not by \(name(path.last!))"
            return result
        }
        return nil
    }

    /// A link of a chain, as its two tokens (smaller first).
    struct Link: Error, Equatable { var x: Int, y: Int }

    /// α = 1 on (j, u), β from the chain's least-squares coefficients; fails with the first link whose
    /// contexts do not reproduce h̄_j (relative residual above 1e-10).
    static func certificate(context j: Int, path: [Int], data: DataSet, h: [Double], d: Int,
                            chains: TieChains) -> Result<FarkasCertificate, Link> {
        let anchors = Separability.anchors(data)
        var ties: [Int: Double] = [:]   // key context · V + token
        let V = data.vocabularySize
        func addTie(_ t: Int, _ token: Int, _ weight: Double) {
            guard token != anchors[t] else { return }
            ties[t * V + token, default: 0] += weight
        }
        addTie(j, path[0], 1)
        let target = Array(h[(j * d)..<((j + 1) * d)])
        for i in 0..<(path.count - 1) {
            let shared = chains.sharedContexts(path[i], path[i + 1])
            guard let c = leastSquares(target, over: shared, h: h, d: d) else {
                return .failure(Link(x: min(path[i], path[i + 1]), y: max(path[i], path[i + 1])))
            }
            for (t, ct) in zip(shared, c) where ct != 0 {
                addTie(t, path[i], -ct)
                addTie(t, path[i + 1], ct)
            }
        }
        let tieMultipliers = ties.keys.sorted().compactMap { key -> ConstraintMultiplier? in
            let w = ties[key]!
            return w == 0 ? nil : ConstraintMultiplier(context: key / V, token: key % V, weight: w)
        }
        return .success(FarkasCertificate(marginMultipliers: [ConstraintMultiplier(context: j, token: path.last!, weight: 1)],
                                          tieMultipliers: tieMultipliers, anchors: anchors))
    }

    /// The minimum-norm c with Σ_t c_t h̄_t = target over `contexts` (LAPACK dgelsd), or nil when the
    /// residual is above 1e-10 · ‖target‖.
    static func leastSquares(_ target: [Double], over contexts: [Int], h: [Double], d: Int) -> [Double]? {
        let n = contexts.count
        guard n > 0 else { return nil }
        var a = [Double](); a.reserveCapacity(d * n)
        for t in contexts { a.append(contentsOf: h[(t * d)..<((t + 1) * d)]) }   // column-major d × n
        guard let c = MinimumNormLeastSquares.solve(a, rows: d, cols: n, b: target, rcond: 1e-12) else { return nil }
        // The residual from the original columns, not from LAPACK's own estimate.
        var r = target, norm = 0.0, rnorm = 0.0
        for (i, ci) in c.enumerated() where ci != 0 { for f in 0..<d { r[f] -= ci * a[i * d + f] } }
        for f in 0..<d { norm += target[f] * target[f]; rnorm += r[f] * r[f] }
        return rnorm <= 1e-20 * norm ? c : nil
    }
}

/// The token pairs whose shared contexts may span R^d (at least d of them), joined into chains.
struct TieChains {
    /// Links as token pairs (smaller first), most shared contexts first.
    private var links: [(Int, Int)]
    /// Contexts (rows) whose support holds both tokens of a link, in increasing order.
    private var shared: [Int: [Int]]
    private let V: Int
    private let data: DataSet

    init(data: DataSet, dimension d: Int) {
        self.data = data
        V = data.vocabularySize
        links = []
        shared = [:]
        let m = data.contextCount
        // Only tokens in at least d supports can be in a pair that shares d contexts.
        var frequency = [Int](repeating: 0, count: V)
        for e in data.columns.indices { frequency[Int(data.columns[e])] += 1 }
        let candidates = (0..<V).filter { frequency[$0] >= d }.sorted { frequency[$0] != frequency[$1] ? frequency[$0] > frequency[$1] : $0 < $1 }
        let c = min(candidates.count, 2_000)
        guard c >= 2 else { return }
        var slot = [Int](repeating: -1, count: V)
        for (i, v) in candidates.prefix(c).enumerated() { slot[v] = i }
        func candidatesInSupport(_ j: Int) -> [Int] {
            data.columns[data.rowOffsets[j]..<data.rowOffsets[j + 1]].compactMap { slot[Int($0)] >= 0 ? slot[Int($0)] : nil }
        }
        let updates = (0..<m).reduce(0) { total, j in let n = candidatesInSupport(j).count; return total + n * n / 2 }
        guard updates <= ForcedTies.maxPairUpdates else { return }
        var counts = [Int32](repeating: 0, count: c * c)
        for j in 0..<m {
            let inSupport = candidatesInSupport(j)
            for (x, a) in inSupport.enumerated() { for b in inSupport[(x + 1)...] { counts[min(a, b) * c + max(a, b)] += 1 } }
        }
        var pairs: [(count: Int32, a: Int, b: Int)] = []
        for a in 0..<c { for b in (a + 1)..<c where counts[a * c + b] >= Int32(d) { pairs.append((counts[a * c + b], a, b)) } }
        pairs.sort { $0.count != $1.count ? $0.count > $1.count : ($0.a, $0.b) < ($1.a, $1.b) }
        links = pairs.prefix(ForcedTies.maxPairs).map { p in
            let (x, y) = (candidates[p.a], candidates[p.b])
            return (min(x, y), max(x, y))
        }
        for (x, y) in links { shared[x * V + y] = (0..<m).filter { holds($0, x) && holds($0, y) } }
    }

    /// Whether context j's support (sorted token ids) holds token v.
    private func holds(_ j: Int, _ v: Int) -> Bool {
        var lo = data.rowOffsets[j], hi = data.rowOffsets[j + 1]
        while lo < hi {
            let mid = (lo + hi) / 2, x = Int(data.columns[mid])
            if x == v { return true }
            if x < v { lo = mid + 1 } else { hi = mid }
        }
        return false
    }

    /// Contexts whose support holds both tokens of a link.
    func sharedContexts(_ x: Int, _ y: Int) -> [Int] { shared[min(x, y) * V + max(x, y)] ?? [] }

    /// The first context (in row order) whose support holds a token v of a chain but not a token u of
    /// the same chain, with the shortest path v → u; nil when there is none.
    func splitContext() -> (context: Int, path: [Int])? {
        guard !links.isEmpty else { return nil }
        var neighbours: [Int: [Int]] = [:]
        for (x, y) in links { neighbours[x, default: []].append(y); neighbours[y, default: []].append(x) }
        for key in neighbours.keys { neighbours[key]!.sort() }
        let chained = neighbours.keys.sorted()
        for j in 0..<data.contextCount {
            for v in chained where holds(j, v) {
                // Breadth first from v: the first token outside S_j ends the shortest path.
                var previous: [Int: Int] = [v: v], queue = [v], head = 0
                while head < queue.count {
                    let x = queue[head]; head += 1
                    for y in neighbours[x]! where previous[y] == nil {
                        previous[y] = x
                        if !holds(j, y) {
                            var path = [y]
                            while path.last! != v { path.append(previous[path.last!]!) }
                            return (j, path.reversed())
                        }
                        queue.append(y)
                    }
                }
            }
        }
        return nil
    }

    /// Removes one link (its shared contexts do not reproduce some h̄_j).
    mutating func drop(_ link: ForcedTies.Link) {
        links.removeAll { $0 == (link.x, link.y) }
    }
}

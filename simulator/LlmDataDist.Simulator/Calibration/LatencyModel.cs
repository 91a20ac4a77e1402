using System.Globalization;
using System.Text;

namespace LlmDataDist.Simulator;

/// <summary>
/// Per-path timing constants of one or both platforms, fitted from calibration points (docs/latency-model.md). A
/// path with at least three block sizes measured is fitted on its own points; the others are derived from a
/// neighbour path by a ratio measured where both exist, then fitted to any points of their own:
/// <list type="number">
/// <item>the other direction of the same path: pull/push ratios of g and B, from paths of the same transport with
/// both directions measured (none: symmetric);</item>
/// <item>the other engine path: comm-domain minus hixl_cs per-block cost (added ns: the engine's own descriptor work)
/// and their bandwidth ratio, from the same platform where both are measured;</item>
/// <item>the other scope (one or two servers): ratios of g and B from the same platform and transport.</item>
/// </list>
/// When the fallback model has both the neighbour and the path, their relation there is used instead of the ratio
/// (a user's push scales its pull as in the published table). Whatever the data cannot give (a platform not measured
/// at all, a ratio with no pair) comes from the fallback model, by default the one fitted from the published table.
/// </summary>
public sealed class LatencyModel
{
    private static readonly Lazy<LatencyModel> Published = new(() => Fit(CalibrationData.Published, fallback: null));

    private readonly Dictionary<PathKey, PathFit> _paths;
    private readonly Ratios _ratios;

    private LatencyModel(Dictionary<PathKey, PathFit> paths, Ratios ratios, string sourceName)
    {
        _paths = paths;
        _ratios = ratios;
        SourceName = sourceName;
        Paths = [.. PathKey.All.Where(paths.ContainsKey).Select(k => paths[k])];
    }

    /// <summary>The model fitted from <see cref="CalibrationData.Published"/>: the simulator's defaults.</summary>
    public static LatencyModel Default => Published.Value;

    /// <summary>Every path with its constants, in <see cref="PathKey.All"/> order.</summary>
    public IReadOnlyList<PathFit> Paths { get; }

    /// <summary>The calibration data the model was fitted from.</summary>
    public string SourceName { get; }

    /// <summary>Fits a model to measured points; what they cannot give comes from <see cref="Default"/>.</summary>
    /// <param name="data">The points, e.g. from <see cref="CalibrationData.Load"/>.</param>
    /// <returns>The model.</returns>
    public static LatencyModel Fit(CalibrationData data) => Fit(data, Default);

    /// <summary>Fits a model to measured points.</summary>
    /// <param name="data">The points.</param>
    /// <param name="fallback">Where paths and ratios the data cannot give come from; null for nowhere (such paths
    /// are then absent, and routes over them keep their ports' own timing).</param>
    /// <returns>The model.</returns>
    /// <exception cref="ArgumentException">A point is faster than the route latency alone allows.</exception>
    public static LatencyModel Fit(CalibrationData data, LatencyModel? fallback)
    {
        ArgumentNullException.ThrowIfNull(data);
        var samples = new Dictionary<PathKey, List<PathFitter.Sample>>();
        foreach (var point in data.Points)
        {
            var dataNs = point.DurationNs - RouteLatencyNs(point.Key.Transport);
            if (!(dataNs > 0))
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"{data.SourceName}:{point.Line}: {point.GBps} GB/s for {point.TotalBytes} B is faster than the route latency ({RouteLatencyNs(point.Key.Transport)} ns) allows"), nameof(data));
            }

            if (!samples.TryGetValue(point.Key, out var list))
            {
                samples[point.Key] = list = [];
            }

            list.Add(new PathFitter.Sample(point.Blocks, point.TotalBytes, dataNs));
        }

        // Pass 1: paths measured at three or more block sizes stand on their own points.
        var fits = new Dictionary<PathKey, PathFit>();
        foreach (var key in PathKey.All)
        {
            if (samples.TryGetValue(key, out var own) && own.Select(s => s.Blocks).Distinct().Count() >= 3)
            {
                fits[key] = new PathFit(key, PathFitter.Fit(own, Start(own), prior: null), own.Count, $"fitted to its {own.Count} points");
            }
        }

        var ratios = Ratios.From(fits, fallback);

        // Then, pass by pass, paths with a fitted neighbour: those with points of their own first, so that measured
        // paths are the donors of unmeasured ones. Donors come from earlier passes only, so key order does not matter.
        while (true)
        {
            var known = new Dictionary<PathKey, PathFit>(fits);
            var candidates = PathKey.All.Where(k => !known.ContainsKey(k))
                .Select(k => (Key: k, Derived: ratios.Derive(k, known)))
                .Where(c => c.Derived is not null)
                .ToList();
            if (candidates.Count == 0)
            {
                break;
            }

            if (candidates.Any(c => samples.ContainsKey(c.Key)))
            {
                candidates = [.. candidates.Where(c => samples.ContainsKey(c.Key))];
            }

            foreach (var (key, derived) in candidates)
            {
                var (prior, origin) = derived!.Value;
                fits[key] = samples.TryGetValue(key, out var own)
                    ? new PathFit(key, PathFitter.Fit(own, prior, prior), own.Count, $"{own.Count} point(s); the rest {origin}")
                    : new PathFit(key, prior, 0, origin);
            }
        }

        if (fallback is not null)
        {
            foreach (var key in PathKey.All)
            {
                if (!fits.ContainsKey(key) && fallback._paths.TryGetValue(key, out var inherited))
                {
                    fits[key] = inherited with { Origin = $"from {fallback.SourceName} (not measured here)" };
                }
            }
        }

        return new LatencyModel(fits, ratios, data.SourceName);
    }

    /// <summary>The timing of a path, or null when the model has none for it.</summary>
    /// <param name="key">The path.</param>
    /// <returns>The timing, or null.</returns>
    public PathTiming? Timing(PathKey key) => _paths.TryGetValue(key, out var fit) ? fit.Timing : null;

    /// <summary>
    /// The timing of a platform's port: its capacity is the largest path bandwidth of that transport (the engines
    /// share one physical port), its per-block cost the smallest path's (what a route costs without a calibrated
    /// path, such as a control message); latency and jitter are the hop assumptions of <see cref="HardwareDefaults"/>.
    /// </summary>
    /// <param name="platform">The platform.</param>
    /// <param name="transport">HCCS or RoCE.</param>
    /// <returns>The port's parameters.</returns>
    /// <exception cref="InvalidOperationException">The model has no path of that platform and transport.</exception>
    public LinkParameters Port(Platform platform, LinkKind transport)
    {
        var fits = Paths.Where(f => f.Key.Platform == platform && f.Key.Transport == transport).ToList();
        if (fits.Count == 0)
        {
            throw new InvalidOperationException($"the latency model from {SourceName} has no {platform} {transport} path");
        }

        return new LinkParameters(
            fits.Max(f => f.Timing.BandwidthBytesPerSecond),
            HopLatencyNs(transport),
            (long)Math.Ceiling(fits.Min(f => f.Timing.PerBlockNs)),
            transport == LinkKind.Hccs ? HardwareDefaults.HccsJitterNsMean : HardwareDefaults.RoceJitterNsMean);
    }

    /// <summary>
    /// A what-if copy: every path of one platform and transport gets its plateau bandwidth B multiplied by
    /// <paramref name="factor"/> (so <see cref="Port"/> capacity scales too), while the per-block cost g and the
    /// sharpness p keep their calibrated values: a faster link moves bytes faster, the engine's descriptor work does
    /// not change.
    /// </summary>
    /// <param name="platform">The platform.</param>
    /// <param name="transport">HCCS or RoCE.</param>
    /// <param name="factor">Bandwidth multiplier, finite and positive (2 for a 400 Gb/s port instead of 200 Gb/s).</param>
    /// <returns>The scaled model.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The factor is not a finite positive number.</exception>
    /// <exception cref="InvalidOperationException">The model has no path of that platform and transport.</exception>
    public LatencyModel WithBandwidthScale(Platform platform, LinkKind transport, double factor)
    {
        if (!double.IsFinite(factor) || factor <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(factor), factor, "the bandwidth factor is a finite number above 0");
        }

        var paths = new Dictionary<PathKey, PathFit>(_paths);
        var scaled = 0;
        foreach (var (key, fit) in _paths)
        {
            if (key.Platform == platform && key.Transport == transport)
            {
                var bandwidth = (long)Math.Max(1, Math.Round(fit.Timing.BandwidthBytesPerSecond * factor));
                paths[key] = fit with
                {
                    Timing = fit.Timing with { BandwidthBytesPerSecond = bandwidth },
                    Origin = string.Create(CultureInfo.InvariantCulture, $"{fit.Origin}; B x{factor:G4} (what-if)"),
                };
                scaled++;
            }
        }

        return scaled == 0
            ? throw new InvalidOperationException($"the latency model from {SourceName} has no {platform} {transport} path")
            : new LatencyModel(paths, _ratios, SourceName);
    }

    /// <summary>A Markdown table of every path's constants and origin.</summary>
    /// <returns>The table.</returns>
    public string ToMarkdown()
    {
        var text = new StringBuilder("| Path | g (ns) | B (GB/s) | p | Origin |\n| --- | ---: | ---: | ---: | --- |\n");
        foreach (var fit in Paths)
        {
            text.Append(CultureInfo.InvariantCulture,
                $"| {fit.Key} | {fit.Timing.PerBlockNs:F1} | {fit.Timing.BandwidthBytesPerSecond / 1e9:F2} | {fit.Timing.Sharpness:F3} | {fit.Origin} |\n");
        }

        text.Append("\n| Ratio used to derive paths | Per-block time at 16 KiB | Plateau at 2 MiB |\n| --- | ---: | ---: |\n");
        foreach (var (name, perBlock, plateau) in _ratios.Describe())
        {
            text.Append(CultureInfo.InvariantCulture, $"| {name} | {perBlock} | {plateau} |\n");
        }

        return text.ToString();
    }

    /// <summary>Latency of one hop (an assumption: the table cannot resolve it, see docs/latency-model.md).</summary>
    internal static long HopLatencyNs(LinkKind transport) => transport == LinkKind.Hccs ? HardwareDefaults.HccsHopLatencyNs : HardwareDefaults.RoceHopLatencyNs;

    /// <summary>A device-to-device route crosses two hops: the source's out-port and the destination's in-port.</summary>
    internal static long RouteLatencyNs(LinkKind transport) => 2 * HopLatencyNs(transport);

    private static PathTiming Start(List<PathFitter.Sample> own)
    {
        var small = own.MinBy(s => s.Bytes / s.Blocks);
        var large = own.MaxBy(s => s.Bytes / s.Blocks);
        return new PathTiming(small.DataNs / small.Blocks, (long)(large.Bytes * 1e9 / large.DataNs), 2);
    }

    /// <summary>The ratios used to derive a path from a neighbour, measured on pass-1 paths.</summary>
    private sealed class Ratios
    {
        // Pull over push, by transport: (ln g ratio, ln B ratio).
        private readonly Dictionary<LinkKind, (double LnG, double LnB)> _direction = [];

        // Comm domain over hixl_cs, by platform: (g difference in ns, ln B ratio).
        private readonly Dictionary<Platform, (double AddG, double LnB)> _path = [];

        // Two servers over one, by platform and transport: (ln g ratio, ln B ratio).
        private readonly Dictionary<(Platform, LinkKind), (double LnG, double LnB)> _scope = [];

        private LatencyModel? _fallbackModel;

        public static Ratios From(Dictionary<PathKey, PathFit> fitted, LatencyModel? fallbackModel)
        {
            var fallback = fallbackModel?._ratios;
            var ratios = new Ratios { _fallbackModel = fallbackModel };
            foreach (var transport in (ReadOnlySpan<LinkKind>)[LinkKind.Hccs, LinkKind.Roce])
            {
                var pairs = Pairs(fitted, k => k.Transport == transport && k.Direction == TransferDirection.Push, k => k with { Direction = TransferDirection.Pull });
                if (Mean(pairs, multiplicative: true) is { } m)
                {
                    ratios._direction[transport] = m;
                }
                else if (fallback?._direction.TryGetValue(transport, out var f) == true)
                {
                    ratios._direction[transport] = f;
                }

                foreach (var platform in (ReadOnlySpan<Platform>)[Platform.A2, Platform.A3])
                {
                    var scopePairs = Pairs(fitted, k => k.Platform == platform && k.Transport == transport && k.Scope == LinkScope.OneServer, k => k with { Scope = LinkScope.TwoServers });
                    if (Mean(scopePairs, multiplicative: true) is { } s)
                    {
                        ratios._scope[(platform, transport)] = s;
                    }
                    else if (fallback?._scope.TryGetValue((platform, transport), out var f) == true)
                    {
                        ratios._scope[(platform, transport)] = f;
                    }
                }
            }

            foreach (var platform in (ReadOnlySpan<Platform>)[Platform.A2, Platform.A3])
            {
                var pairs = Pairs(fitted, k => k.Platform == platform && k.Path == TransferPath.HixlCs, k => k with { Path = TransferPath.CommDomain });
                if (Mean(pairs, multiplicative: false) is { } m)
                {
                    ratios._path[platform] = m;
                }
                else if (fallback?._path.TryGetValue(platform, out var f) == true)
                {
                    ratios._path[platform] = f;
                }
            }

            return ratios;
        }

        /// <summary>A path's timing from its first fitted neighbour (direction, then path, then scope), or null.</summary>
        public (PathTiming Timing, string Origin)? Derive(PathKey key, Dictionary<PathKey, PathFit> known)
        {
            foreach (var neighbour in Neighbours(key))
            {
                if (known.TryGetValue(neighbour, out var near) && _fallbackModel?.Timing(neighbour) is { } from && _fallbackModel.Timing(key) is { } to)
                {
                    var (fromG, fromB) = Effective(from);
                    var (toG, toB) = Effective(to);
                    return (Scale(near.Timing, DetMath.Log(toG) - DetMath.Log(fromG), 0, DetMath.Log(toB) - DetMath.Log(fromB)),
                        $"derived from {neighbour} as in {_fallbackModel.SourceName}");
                }
            }

            var other = key with { Direction = key.Direction == TransferDirection.Push ? TransferDirection.Pull : TransferDirection.Push };
            if (known.TryGetValue(other, out var donor))
            {
                var (lnG, lnB) = _direction.GetValueOrDefault(key.Transport);
                var sign = key.Direction == TransferDirection.Pull ? 1 : -1;
                var origin = _direction.ContainsKey(key.Transport) ? $"{CalibrationCsv.TransportText(key.Transport)} pull/push ratio" : "no pull/push pair: symmetric";
                return (Scale(donor.Timing, sign * lnG, 0, sign * lnB), $"derived from {other} × {origin}");
            }

            other = key with { Path = key.Path == TransferPath.HixlCs ? TransferPath.CommDomain : TransferPath.HixlCs };
            if (known.TryGetValue(other, out donor) && _path.TryGetValue(key.Platform, out var path))
            {
                var sign = key.Path == TransferPath.CommDomain ? 1 : -1;
                return (Scale(donor.Timing, 0, sign * path.AddG, sign * path.LnB), $"derived from {other} + {key.Platform} comm_domain/hixl_cs difference");
            }

            other = key with { Scope = key.Scope == LinkScope.OneServer ? LinkScope.TwoServers : LinkScope.OneServer };
            if (known.TryGetValue(other, out donor) && other.Exists)
            {
                var (lnG, lnB) = _scope.GetValueOrDefault((key.Platform, key.Transport));
                var sign = key.Scope == LinkScope.TwoServers ? 1 : -1;
                var origin = _scope.ContainsKey((key.Platform, key.Transport)) ? "two/one-server ratio" : "no scope pair: same";
                return (Scale(donor.Timing, sign * lnG, 0, sign * lnB), $"derived from {other} × {origin}");
            }

            return null;
        }

        public IEnumerable<(string Name, string PerBlock, string Plateau)> Describe()
        {
            foreach (var (transport, (lnG, lnB)) in _direction.OrderBy(d => d.Key))
            {
                yield return ($"{CalibrationCsv.TransportText(transport)} pull / push", Times(lnG), Times(lnB));
            }

            foreach (var (platform, (addG, lnB)) in _path.OrderBy(d => d.Key))
            {
                yield return ($"{platform} comm_domain vs hixl_cs", string.Create(CultureInfo.InvariantCulture, $"{addG:+0;-0} ns"), Times(lnB));
            }

            foreach (var ((platform, transport), (lnG, lnB)) in _scope.OrderBy(d => d.Key.Item1).ThenBy(d => d.Key.Item2))
            {
                yield return ($"{platform} {CalibrationCsv.TransportText(transport)} two servers / one", Times(lnG), Times(lnB));
            }

            static string Times(double ln) => string.Create(CultureInfo.InvariantCulture, $"×{DetMath.Exp(ln):F3}");
        }

        private static IEnumerable<PathKey> Neighbours(PathKey key)
        {
            yield return key with { Direction = key.Direction == TransferDirection.Push ? TransferDirection.Pull : TransferDirection.Push };
            yield return key with { Path = key.Path == TransferPath.HixlCs ? TransferPath.CommDomain : TransferPath.HixlCs };
            var scope = key with { Scope = key.Scope == LinkScope.OneServer ? LinkScope.TwoServers : LinkScope.OneServer };
            if (scope.Exists)
            {
                yield return scope;
            }
        }

        private static PathTiming Scale(PathTiming t, double lnG, double addG, double lnB)
        {
            // A negative difference never takes more than 90 % of the donor's per-block cost.
            var g = Math.Max(t.PerBlockNs * 0.1, (t.PerBlockNs * DetMath.Exp(lnG)) + addG);
            var b = (long)Math.Round(t.BandwidthBytesPerSecond * DetMath.Exp(lnB) / 1e6) * 1_000_000;
            return new PathTiming(Math.Round(g, 3), Math.Max(1_000_000, b), t.Sharpness);
        }

        private static List<(PathTiming From, PathTiming To)> Pairs(Dictionary<PathKey, PathFit> fitted, Func<PathKey, bool> from, Func<PathKey, PathKey> to) =>
            [.. PathKey.All.Where(k => from(k) && fitted.ContainsKey(k) && fitted.ContainsKey(to(k))).Select(k => (fitted[k].Timing, fitted[to(k)].Timing))];

        private static (double, double)? Mean(List<(PathTiming From, PathTiming To)> pairs, bool multiplicative)
        {
            if (pairs.Count == 0)
            {
                return null;
            }

            double g = 0, b = 0;
            foreach (var (from, to) in pairs)
            {
                var (fromG, fromB) = Effective(from);
                var (toG, toB) = Effective(to);
                g += multiplicative ? DetMath.Log(toG) - DetMath.Log(fromG) : toG - fromG;
                b += DetMath.Log(toB) - DetMath.Log(fromB);
            }

            return (g / pairs.Count, b / pairs.Count);
        }

        // Paths fitted with different sharpness cannot be compared by their g and B: compare what they do instead,
        // the time per block of 128 MiB in 16 KiB blocks (descriptor-bound) and the rate in 2 MiB blocks.
        private static (double PerBlockNs, double BytesPerSecond) Effective(PathTiming t) =>
            (t.DataPhaseNs(ReferenceBytes, ReferenceBytes / (16 << 10)) / (double)(ReferenceBytes / (16 << 10)),
             ReferenceBytes * 1e9 / t.DataPhaseNs(ReferenceBytes, ReferenceBytes / (2 << 20)));

        private const long ReferenceBytes = 128L << 20;
    }
}

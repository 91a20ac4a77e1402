using System.Globalization;

namespace LlmDataDist.Testing;

/// <summary>
/// How a test run was asked to pick seeds, read from the environment: <c>SIM_SEED=&lt;n&gt;</c> replays one seed (every
/// <see cref="SimulationRunner"/> run uses it instead of the seed the test gives); <c>SIM_SWEEP=1</c> (or <c>true</c>)
/// adds <see cref="SweepCountDefault"/> fresh seeds to each seed list, <c>SIM_SWEEP=&lt;n&gt;</c> (n ≥ 2) adds n.
/// Tests of the kit construct one directly instead of changing the process environment.
/// </summary>
/// <param name="ReplaySeed">The seed to replay, or null.</param>
/// <param name="SweepCount">Fresh seeds to add to every seed list; 0 in CI.</param>
public sealed record SimulationEnvironment(ulong? ReplaySeed, int SweepCount)
{
    /// <summary>The variable that replays one seed.</summary>
    public const string SeedVariable = "SIM_SEED";

    /// <summary>The variable that turns on the long sweep.</summary>
    public const string SweepVariable = "SIM_SWEEP";

    /// <summary>Fresh seeds a sweep adds when <c>SIM_SWEEP</c> is <c>1</c> or <c>true</c>.</summary>
    public const int SweepCountDefault = 200;

    /// <summary>No replay seed, no sweep: what CI runs.</summary>
    public static SimulationEnvironment None { get; } = new(null, 0);

    /// <summary>Whether a sweep was asked for.</summary>
    public bool IsSweep => SweepCount > 0;

    /// <summary>Reads <c>SIM_SEED</c> and <c>SIM_SWEEP</c> from the process environment.</summary>
    /// <returns>The environment.</returns>
    public static SimulationEnvironment FromProcess() =>
        Parse(Environment.GetEnvironmentVariable(SeedVariable), Environment.GetEnvironmentVariable(SweepVariable));

    /// <summary>Parses the two variables' values (null or blank for unset).</summary>
    /// <param name="seed">The value of <c>SIM_SEED</c>: a decimal unsigned 64-bit integer.</param>
    /// <param name="sweep">The value of <c>SIM_SWEEP</c>: <c>0</c>/<c>false</c>, <c>1</c>/<c>true</c>, or a count.</param>
    /// <returns>The environment.</returns>
    /// <exception cref="ArgumentException">A value that is not one of those.</exception>
    public static SimulationEnvironment Parse(string? seed, string? sweep)
    {
        ulong? replay = null;
        if (!string.IsNullOrWhiteSpace(seed))
        {
            replay = ulong.TryParse(seed.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var value)
                ? value
                : throw new ArgumentException($"{SeedVariable}='{seed}' is not a decimal seed (0 to {ulong.MaxValue})", nameof(seed));
        }

        var count = 0;
        if (!string.IsNullOrWhiteSpace(sweep))
        {
            var text = sweep.Trim();
            count = text.ToUpperInvariant() switch
            {
                "TRUE" or "1" => SweepCountDefault,
                "FALSE" or "0" => 0,
                _ when int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) => n,
                _ => throw new ArgumentException($"{SweepVariable}='{sweep}' is not 0, 1, true, false or a seed count", nameof(sweep)),
            };
        }

        return new SimulationEnvironment(replay, count);
    }

    /// <summary>
    /// The seeds a test should run: only <see cref="ReplaySeed"/> when set; otherwise <paramref name="ciSeeds"/>, plus
    /// <see cref="SweepCount"/> fresh seeds from <paramref name="freshSeed"/> (by default
    /// <see cref="SimulationRunner.FreshSeed"/>) during a sweep.
    /// </summary>
    /// <param name="ciSeeds">The fixed list CI runs (every seed that ever failed belongs in it).</param>
    /// <param name="freshSeed">Where sweep seeds come from; drawn outside any simulated world.</param>
    /// <returns>The seeds, in order.</returns>
    public IReadOnlyList<ulong> Seeds(IReadOnlyList<ulong> ciSeeds, Func<ulong>? freshSeed = null)
    {
        ArgumentNullException.ThrowIfNull(ciSeeds);
        if (ReplaySeed is { } replay)
        {
            return [replay];
        }

        freshSeed ??= SimulationRunner.FreshSeed;
        return [.. ciSeeds, .. Enumerable.Range(0, SweepCount).Select(_ => freshSeed())];
    }
}

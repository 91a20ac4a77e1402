using System.Globalization;

namespace LlmDataDist.Simulator;

/// <summary>
/// An exact fraction <c>Num / Den</c> for probabilities and factors. Decisions never use floating point, so a run
/// decides the same on every CPU and runtime.
/// </summary>
/// <param name="Num">Numerator.</param>
/// <param name="Den">Denominator; must be positive wherever the ratio is used.</param>
public readonly record struct Ratio(ulong Num, ulong Den)
{
    /// <summary>0 / 1: never.</summary>
    public static readonly Ratio Zero = new(0, 1);

    /// <summary>1 / 1: always, or a factor of one.</summary>
    public static readonly Ratio One = new(1, 1);

    /// <summary>Whether the ratio is zero (a zero numerator).</summary>
    public bool IsZero => Num == 0;

    /// <summary>Throws when the denominator is zero, which would make the ratio meaningless.</summary>
    /// <exception cref="ArgumentException">The denominator is zero.</exception>
    public void Validate()
    {
        if (Den == 0)
        {
            throw new ArgumentException($"ratio {Num}/0 has a zero denominator", nameof(Den));
        }
    }

    /// <summary>Multiplies a non-negative value by this ratio, rounding down, without intermediate overflow.</summary>
    /// <param name="value">A non-negative value.</param>
    /// <returns><c>value * Num / Den</c>, saturating at <see cref="long.MaxValue"/>.</returns>
    public long Scale(long value)
    {
        Validate();
        ArgumentOutOfRangeException.ThrowIfNegative(value);
        var product = (UInt128)(ulong)value * Num / Den;
        return product > long.MaxValue ? long.MaxValue : (long)product;
    }

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Num}/{Den}");
}

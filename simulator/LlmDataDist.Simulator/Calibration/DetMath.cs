namespace LlmDataDist.Simulator;

/// <summary>
/// Logarithm and exponential built from IEEE-754 basic operations only (+, −, ×, ÷, exact scaling), which are
/// correctly rounded on every platform. <see cref="Math.Pow(double, double)"/> comes from the C runtime and may
/// differ in the last bit between platforms; a last-bit difference can move a completion by a nanosecond and so change
/// a trace hash. The latency model and its fitter use these instead.
/// </summary>
internal static class DetMath
{
    private const double Ln2 = 0.6931471805599453;

    /// <summary>Natural logarithm of a positive finite number (relative error about 1e-16).</summary>
    public static double Log(double x)
    {
        if (!(x > 0) || double.IsInfinity(x))
        {
            throw new ArgumentOutOfRangeException(nameof(x), x, "the logarithm needs a positive finite number");
        }

        // x = m * 2^e with m in [1/√2, √2), then ln m = 2 atanh(s), s = (m - 1) / (m + 1), |s| < 0.172.
        var e = Math.ILogB(x);
        var m = Math.ScaleB(x, -e);
        if (m > 1.4142135623730951)
        {
            m /= 2;
            e++;
        }

        var s = (m - 1) / (m + 1);
        var s2 = s * s;
        var term = s;
        var sum = 0.0;
        for (var k = 1; k < 40; k += 2)
        {
            sum += term / k;
            term *= s2;
        }

        return (2 * sum) + (e * Ln2);
    }

    /// <summary>e to the power <paramref name="y"/>; underflows to 0 and saturates at +∞ like Math.Exp.</summary>
    public static double Exp(double y)
    {
        if (double.IsNaN(y))
        {
            throw new ArgumentOutOfRangeException(nameof(y), y, "not a number");
        }

        if (y < -745)
        {
            return 0;
        }

        if (y > 709)
        {
            return double.PositiveInfinity;
        }

        // y = k ln 2 + r with |r| <= ln 2 / 2; e^r by its Taylor series, then exact scaling by 2^k.
        var k = (int)Math.Round(y / Ln2, MidpointRounding.ToEven);
        var r = y - (k * Ln2);
        var term = 1.0;
        var sum = 1.0;
        for (var i = 1; i < 24; i++)
        {
            term *= r / i;
            sum += term;
        }

        return Math.ScaleB(sum, k);
    }

    /// <summary><paramref name="x"/> to the power <paramref name="y"/> for x ≥ 0.</summary>
    public static double Pow(double x, double y) => x == 0 ? (y > 0 ? 0 : 1) : Exp(y * Log(x));

    /// <summary>The p-norm <c>(a^p + b^p)^(1/p)</c> of two non-negative numbers; p = +∞ gives max(a, b).</summary>
    public static double PNorm(double a, double b, double p)
    {
        var hi = Math.Max(a, b);
        var lo = Math.Min(a, b);
        if (hi <= 0)
        {
            return 0;
        }

        if (double.IsPositiveInfinity(p) || lo <= 0)
        {
            return hi;
        }

        // hi * (1 + (lo/hi)^p)^(1/p): the ratio is in (0, 1], so nothing overflows.
        var ratioPowered = Pow(lo / hi, p);
        return hi * Exp(Log(1 + ratioPowered) / p);
    }
}

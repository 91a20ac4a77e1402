namespace LlmDataDist.Simulator;

/// <summary>
/// Least-squares fit of one path's <see cref="PathTiming"/> (g, B, p) to measured data-phase times, in log space:
/// minimise Σ (ln D_model − ln D_measured)², optionally plus a weak pull towards a prior timing, which decides the
/// constants the points cannot (a row with one point fixes B and keeps g and p of its prior). Nelder–Mead over
/// θ = (ln g, ln B, ln p) with a fixed start, fixed steps and <see cref="DetMath"/> only, so the same data gives
/// the same constants on every machine. Three parameters and a handful of points: microseconds, no dependency.
/// </summary>
internal static class PathFitter
{
    // Weight of the prior: small enough that points are met to ~0.1 %, large enough to pin what they leave free.
    private const double PriorWeight = 1e-3;

    // p in [0.5, e^4 = 54.6]: above, the curve is indistinguishable from max(); below 0.5, a descriptor term of a
    // few per cent would inflate a bandwidth-bound transfer by tens of per cent, which no measurement shows.
    private const double SharpnessLogMin = -0.6931471805599453;
    private const double SharpnessLogMax = 4;

    private const int Iterations = 1500;
    private const int Restarts = 3;

    /// <summary>A measured point: blocks, bytes and the data-phase time (measured duration minus route latency).</summary>
    internal readonly record struct Sample(double Blocks, double Bytes, double DataNs);

    /// <summary>Fits g, B and p; the result is rounded (g to 1 ps, B to 1 MB/s, p to 0.001) so it prints exactly.</summary>
    public static PathTiming Fit(IReadOnlyList<Sample> samples, PathTiming start, PathTiming? prior)
    {
        var priorTheta = prior is null ? null : Theta(prior);
        double Objective(double[] theta)
        {
            var (g, b, p, excess) = Unpack(theta);
            var sum = excess * excess * 1e3; // keeps the simplex inside the sharpness range
            foreach (var s in samples)
            {
                var model = DetMath.PNorm(s.Blocks * g, s.Bytes * 1e9 / b, p);
                var r = DetMath.Log(model) - DetMath.Log(s.DataNs);
                sum += r * r;
            }

            if (priorTheta is not null)
            {
                for (var i = 0; i < 3; i++)
                {
                    var d = theta[i] - priorTheta[i];
                    sum += PriorWeight * d * d;
                }
            }

            return sum;
        }

        var best = Theta(start);
        for (var round = 0; round < Restarts; round++)
        {
            best = NelderMead(Objective, best);
        }

        var (gf, bf, pf, _) = Unpack(best);
        return new PathTiming(Math.Round(gf, 3), Math.Max(1_000_000, (long)Math.Round(bf / 1e6) * 1_000_000), Math.Round(pf, 3));
    }

    internal static double[] Theta(PathTiming t) =>
        [DetMath.Log(Math.Max(t.PerBlockNs, 1e-3)), DetMath.Log(t.BandwidthBytesPerSecond),
         double.IsPositiveInfinity(t.Sharpness) ? SharpnessLogMax : Math.Clamp(DetMath.Log(t.Sharpness), SharpnessLogMin, SharpnessLogMax)];

    private static (double G, double B, double P, double Excess) Unpack(double[] theta)
    {
        var u = Math.Clamp(theta[2], SharpnessLogMin, SharpnessLogMax);
        var lnG = Math.Clamp(theta[0], -7, 25);
        var lnB = Math.Clamp(theta[1], 10, 35);
        var excess = Math.Abs(theta[2] - u) + Math.Abs(theta[0] - lnG) + Math.Abs(theta[1] - lnB);
        return (DetMath.Exp(lnG), DetMath.Exp(lnB), DetMath.Exp(u), excess);
    }

    private static double[] NelderMead(Func<double[], double> f, double[] start)
    {
        const int n = 3;
        double[] steps = [0.3, 0.3, 0.7];
        var points = new double[n + 1][];
        var values = new double[n + 1];
        points[0] = (double[])start.Clone();
        for (var i = 0; i < n; i++)
        {
            points[i + 1] = (double[])start.Clone();
            points[i + 1][i] += steps[i];
        }

        for (var i = 0; i <= n; i++)
        {
            values[i] = f(points[i]);
        }

        var order = new int[n + 1];
        for (var iteration = 0; iteration < Iterations; iteration++)
        {
            for (var i = 0; i <= n; i++)
            {
                order[i] = i;
            }

            // Insertion sort by value, ties by index: deterministic.
            for (var i = 1; i <= n; i++)
            {
                var k = order[i];
                var j = i - 1;
                while (j >= 0 && (values[order[j]] > values[k] || (values[order[j]] == values[k] && order[j] > k)))
                {
                    order[j + 1] = order[j];
                    j--;
                }

                order[j + 1] = k;
            }

            var bestIndex = order[0];
            var worst = order[n];
            var second = order[n - 1];
            if (values[worst] - values[bestIndex] <= 1e-22)
            {
                break;
            }

            var centroid = new double[n];
            for (var i = 0; i < n; i++)
            {
                var vertex = points[order[i]];
                for (var d = 0; d < n; d++)
                {
                    centroid[d] += vertex[d] / n;
                }
            }

            var reflected = Along(centroid, points[worst], -1);
            var fr = f(reflected);
            if (fr < values[bestIndex])
            {
                var expanded = Along(centroid, points[worst], -2);
                var fe = f(expanded);
                (points[worst], values[worst]) = fe < fr ? (expanded, fe) : (reflected, fr);
            }
            else if (fr < values[second])
            {
                (points[worst], values[worst]) = (reflected, fr);
            }
            else
            {
                var contracted = fr < values[worst] ? Along(centroid, reflected, 0.5) : Along(centroid, points[worst], 0.5);
                var fc = f(contracted);
                if (fc < Math.Min(fr, values[worst]))
                {
                    (points[worst], values[worst]) = (contracted, fc);
                }
                else
                {
                    for (var i = 1; i <= n; i++)
                    {
                        var v = order[i];
                        points[v] = Along(points[bestIndex], points[v], 0.5);
                        values[v] = f(points[v]);
                    }
                }
            }
        }

        var min = 0;
        for (var i = 1; i <= n; i++)
        {
            if (values[i] < values[min])
            {
                min = i;
            }
        }

        return points[min];
    }

    // from + t (to - from)
    private static double[] Along(double[] from, double[] to, double t)
    {
        var result = new double[from.Length];
        for (var d = 0; d < from.Length; d++)
        {
            result[d] = from[d] + (t * (to[d] - from[d]));
        }

        return result;
    }
}

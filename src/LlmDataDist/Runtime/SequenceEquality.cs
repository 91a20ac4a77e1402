using System.Collections;
using System.Text;

namespace LlmDataDist;

/// <summary>Content equality, hashing and printing of list members, used by the generated records.</summary>
internal static class SequenceEquality
{
    /// <summary>Whether two sequences hold equal items in the same order (nested sequences compared by content).</summary>
    /// <param name="left">One sequence.</param>
    /// <param name="right">The other.</param>
    /// <returns>True when both are null or hold equal items.</returns>
    public static bool Equal(IEnumerable? left, IEnumerable? right)
    {
        if (ReferenceEquals(left, right))
        {
            return true;
        }

        if (left is null || right is null)
        {
            return false;
        }

        var a = left.GetEnumerator();
        var b = right.GetEnumerator();
        while (true)
        {
            var hasA = a.MoveNext();
            var hasB = b.MoveNext();
            if (hasA != hasB)
            {
                return false;
            }

            if (!hasA)
            {
                return true;
            }

            var itemsEqual = a.Current is IEnumerable nestedA and not string && b.Current is IEnumerable nestedB and not string
                ? Equal(nestedA, nestedB)
                : Equals(a.Current, b.Current);
            if (!itemsEqual)
            {
                return false;
            }
        }
    }

    /// <summary>A hash over the items, consistent with <see cref="Equal"/>.</summary>
    /// <param name="items">The sequence.</param>
    /// <returns>The hash.</returns>
    public static int Hash(IEnumerable? items)
    {
        if (items is null)
        {
            return 0;
        }

        var hash = new HashCode();
        foreach (var item in items)
        {
            hash.Add(item is IEnumerable nested and not string ? Hash(nested) : item?.GetHashCode() ?? 0);
        }

        return hash.ToHashCode();
    }

    /// <summary>Items <see cref="Print"/> writes out before it only counts the rest.</summary>
    public const int PrintedItemsMax = 16;

    /// <summary>Prints the items as <c>[a, b, c]</c>, for readable records in test failures. Long sequences stay short:
    /// the first <see cref="PrintedItemsMax"/> items, then the total, e.g. <c>[1, 2, …, 16, … (1000000 items)]</c>, so
    /// the <c>ToString()</c> of a cache with a million tensors is a line, not megabytes.</summary>
    /// <param name="items">The sequence.</param>
    /// <returns>The text.</returns>
    public static string Print(IEnumerable? items)
    {
        if (items is null)
        {
            return "null";
        }

        var sb = new StringBuilder("[");
        var count = 0;
        foreach (var item in items)
        {
            if (count < PrintedItemsMax)
            {
                sb.Append(count == 0 ? string.Empty : ", ");
                sb.Append(item is IEnumerable nested and not string ? Print(nested) : item?.ToString());
            }
            else if (items is ICollection collection)
            {
                count = collection.Count; // known size: no need to walk the rest
                break;
            }

            count++;
        }

        if (count > PrintedItemsMax)
        {
            sb.Append(", … (").Append(count.ToString(System.Globalization.CultureInfo.InvariantCulture)).Append(" items)");
        }

        return sb.Append(']').ToString();
    }
}

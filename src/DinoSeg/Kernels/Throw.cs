using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace DinoSeg.Kernels;

/// <summary>
/// The kernels' argument checks, in one place: each says which span, what length it needs and what it found. A check is
/// a small inlined compare; the throw lives in a method of its own, so a kernel's hot loop carries no exception code.
/// Pass constant names: an interpolated one would be built (and allocated) on every call, not only when it throws.
/// </summary>
internal static class Throw
{
    /// <summary>Throws unless <paramref name="found"/> is exactly <paramref name="expected"/> values.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void IfLengthIsNot(int found, long expected, string what, string paramName)
    {
        if (found != expected) LengthIsNot(found, expected, what, paramName);
    }

    /// <summary>Throws when <paramref name="found"/> is fewer than <paramref name="needed"/> values.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void IfShorterThan(int found, long needed, string what, string paramName)
    {
        if (found < needed) ShorterThan(found, needed, what, paramName);
    }

    /// <summary>Throws an <see cref="ArgumentException"/> that names <paramref name="paramName"/>.</summary>
    [DoesNotReturn]
    public static void Argument(string message, string paramName) => throw new ArgumentException(message, paramName);

    [DoesNotReturn]
    private static void LengthIsNot(int found, long expected, string what, string paramName) =>
        throw new ArgumentException($"{what} must hold {expected} values, found {found}.", paramName);

    [DoesNotReturn]
    private static void ShorterThan(int found, long needed, string what, string paramName) =>
        throw new ArgumentException($"{what} must hold at least {needed} values, found {found}.", paramName);
}

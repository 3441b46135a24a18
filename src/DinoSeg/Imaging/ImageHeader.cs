namespace DinoSeg;

/// <summary>What <see cref="ImageDecoder.Identify"/> reads from an image's header: its format and size.</summary>
/// <param name="Format">ImageSharp's name of the format: "PNG", "JPEG", "GIF", "BMP", "TGA", "TIFF", "Webp" or "PBM".</param>
/// <param name="Width">Width in pixels, as the header declares it.</param>
/// <param name="Height">Height in pixels, as the header declares it.</param>
public sealed record ImageHeader(string Format, int Width, int Height)
{
    /// <summary>Width × height, as a 64-bit number.</summary>
    public long Pixels => (long)Width * Height;
}

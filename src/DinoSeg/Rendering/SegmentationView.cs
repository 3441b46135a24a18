namespace DinoSeg.Rendering;

/// <summary>The views <see cref="Renderer"/> draws and <see cref="ViewWriter"/> writes, in the order of <see cref="ViewWriter.FileNames"/>.</summary>
public enum SegmentationView
{
    /// <summary>The binary mask, 8-bit greyscale 0/255 (<see cref="ViewWriter.MaskFile"/>).</summary>
    Mask,

    /// <summary>The soft mask, 8-bit greyscale (<see cref="ViewWriter.SoftMaskFile"/>).</summary>
    SoftMask,

    /// <summary>The similarity heatmap with its colour bar, RGB (<see cref="ViewWriter.SimilarityFile"/>).</summary>
    Similarity,

    /// <summary>The overlay with the prompt, RGB (<see cref="ViewWriter.OverlayFile"/>).</summary>
    Overlay,

    /// <summary>The cut-out, RGBA (<see cref="ViewWriter.CutoutFile"/>).</summary>
    Cutout,

    /// <summary>All views side by side, RGB (<see cref="ViewWriter.PanelFile"/>).</summary>
    Panel,
}

using DinoSeg.Kernels;
using DinoSeg.Parallel;

namespace DinoSeg.Pipeline;

/// <summary>
/// The prompt's exclusions on the upsampled map — pixels where the upsampled margin s⁺ − w·s⁻ is not above zero
/// (negative seeds), and pixels outside <see cref="ClickBuffers.BoxLimit"/> — become <see cref="SegmentationResult.Excluded"/>;
/// then the map is thresholded and its block bounds taken.
/// </summary>
internal static class GateStage
{
    public static bool Applies(ClickBuffers b) => b.NegativeSeeds.Count > 0 || b.BoxLimit is not null;

    public static void Run(ClickBuffers b)
    {
        b.Selected = 0;
        RangeWorkers.Shared.For(new Rows(b), b.Height, WorkGrains.Rows(b.Width));
    }

    private readonly struct Rows(ClickBuffers b) : IRangeJob
    {
        public void Run(int start, int end)
        {
            int width = b.Width, from = start * width, length = (end - start) * width;
            Span<float> map = b.Similarity.AsSpan(from, length);
            if (b.NegativeSeeds.Count > 0) ExclusionGate.Apply(map, b.Margin.AsSpan(from, length), SegmentationResult.Excluded);
            if (b.BoxLimit is PixelRect limit)
            {
                for (int y = start; y < end; y++)
                {
                    Span<float> row = b.Similarity.AsSpan(y * width, width);
                    if (y < limit.Y0 || y >= limit.Y1)
                    {
                        row.Fill(SegmentationResult.Excluded);
                        continue;
                    }

                    row[..limit.X0].Fill(SegmentationResult.Excluded);
                    row[limit.X1..].Fill(SegmentationResult.Excluded);
                }
            }

            Interlocked.Add(ref b.Selected, Threshold.ApplyUnchecked(map, b.Threshold, b.Mask.AsSpan(from, length)));
            ThresholdStage.TakeBounds(b, start, end);
        }
    }
}

using DinoSeg.Parallel;

namespace DinoSeg.Crf;

/// <summary>
/// Two-label fully-connected CRF by mean field (Krähenbühl and Koltun 2011) on an image's working grid, decided at full
/// size. Per cell i, with L(i) the unary's log-odds and Q(i) the current probability of the object:
/// Q(i) ← logistic(L(i) + Σₘ wₘ·(2·Mₘ(i) − 1)), where Mₘ(i) = Σⱼ kₘ(i, j)·Q(j) / Σⱼ kₘ(i, j) is the kernel-weighted mean of
/// Q around i (m: the bilateral kernel, on the permutohedral lattice, and the Gaussian one, exactly by separable passes).
/// </summary>
/// <remarks>
/// <para>
/// With Potts compatibility the energy of the object label at i is U_fg(i) + Σₘ wₘ·Σⱼ k̂ₘ(i, j)·Q_bg(j) and the other label's
/// likewise, so their difference is the update above; each kernel is row-normalised (k̂ = k / Σⱼ k, so a kernel's pull is
/// at most its weight whatever its width and the image's colours), and i's own term stays in the sums.
/// </para>
/// <para>
/// Each stage computes every output (a cell, a vertex, a pixel) alone from the previous stage's buffers, so the result is
/// bit-identical whatever the split over threads. Buffers are made on the first run and when the image or lattice grows.
/// </para>
/// </remarks>
internal sealed class DenseCrfSolver
{
    /// <summary>The unary's log-odds are held within ±this (probabilities within about 3·10⁻⁴ of 0 and 1).</summary>
    public const float MaxLogOdds = 8;

    private const byte Free = 0, SureForeground = 1, SureBackground = 2;

    // Below this many cells, vertices or pixels a part costs less than waking a worker.
    private const int MinPerPart = 4096;

    private float[] _logOdds = [], _q = [], _rows = [], _vertexA = [], _vertexB = [];
    private byte[] _sure = [];
    private float[] _gaussian = [];
    private double _gaussianSigma = double.NaN;
    private readonly Jobs _jobs;

    public DenseCrfSolver() => _jobs = new Jobs(this);

    /// <summary>Runs every stage on the calling thread alone (for tests: the split must not change the result).</summary>
    internal bool Sequential { get; init; }

    /// <summary>The working grid's probabilities of the object after the last run (for tests and diagnostics).</summary>
    internal ReadOnlySpan<float> Probabilities => _q.AsSpan(0, _cells);

    private int _cells;

    /// <summary>
    /// Labels every pixel of <paramref name="mask"/> (255 object, 0 not) from the similarity map and the threshold, by
    /// <see cref="CrfOptions.Iterations"/> rounds of mean field on <paramref name="image"/>'s working grid. Pixels the map
    /// excludes (below −1) stay 0; the squares of <paramref name="seedRadius"/> around positive seeds are sure object and
    /// around negative ones sure background, on the grid and in the mask.
    /// </summary>
    /// <returns>The selected pixels.</returns>
    public int Run(CrfImage image, float[] similarity, int width, int height, float threshold, CrfOptions options,
        IReadOnlyList<PixelPoint> positives, IReadOnlyList<PixelPoint> negatives, int seedRadius, byte[] mask)
    {
        int cells = image.Width * image.Height;
        if (similarity.Length != width * height || mask.Length != width * height) throw new ArgumentException($"Expected {width * height} values in the map and the mask.", nameof(mask));
        if ((width + image.Factor - 1) / image.Factor != image.Width || (height + image.Factor - 1) / image.Factor != image.Height)
        {
            throw new ArgumentException($"The CRF grid {image.Width}x{image.Height} was made for another image size than {width}x{height}.", nameof(image));
        }

        EnsureBuffers(cells, image.Lattice.Vertices, options.SmoothnessSpatial);
        _cells = cells;
        _sure.AsSpan(0, cells).Clear();
        MarkSeeds(image, positives, seedRadius, SureForeground);
        MarkSeeds(image, negatives, seedRadius, SureBackground);

        Jobs jobs = _jobs;
        jobs.Image = image;
        jobs.ImageWidth = width;
        jobs.ImageHeight = height;
        jobs.Threshold = threshold;
        jobs.InverseTemperature = (float)(1 / options.Temperature);
        jobs.BilateralWeight = (float)options.BilateralWeight;
        jobs.SmoothnessWeight = (float)options.SmoothnessWeight;
        jobs.Similarity = similarity;
        jobs.Mask = mask;
        try
        {
            Dispatch(Jobs.Stage.Unary, image.Height);
            for (int iteration = 0; iteration < options.Iterations; iteration++)
            {
                Dispatch(Jobs.Stage.Splat, image.Lattice.Vertices);
                for (int direction = 0; direction < PermutohedralLattice.Corners; direction++)
                {
                    jobs.Direction = direction;
                    Dispatch(Jobs.Stage.Blur, image.Lattice.Vertices);
                    (_vertexA, _vertexB) = (_vertexB, _vertexA);
                }

                Dispatch(Jobs.Stage.GaussianRows, image.Height);
                Dispatch(Jobs.Stage.Update, image.Height);
            }

            jobs.Selected = 0;
            Dispatch(Jobs.Stage.Decide, height);
        }
        finally
        {
            jobs.Similarity = null;
            jobs.Mask = null;
        }

        int selected = jobs.Selected;
        selected += Stamp(mask, width, height, positives, seedRadius, 255);
        selected -= Stamp(mask, width, height, negatives, seedRadius, 0);
        return selected;
    }

    private void Dispatch(Jobs.Stage stage, int count)
    {
        _jobs.Current = stage;
        if (Sequential) _jobs.Run(0, count);
        else RangeWorkers.Shared.For(_jobs, count, stage is Jobs.Stage.Splat or Jobs.Stage.Blur ? MinPerPart : Math.Max(1, MinPerPart / RowLength(stage)));
    }

    private int RowLength(Jobs.Stage stage) => stage == Jobs.Stage.Decide ? _jobs.ImageWidth : _jobs.Image!.Width;

    private void EnsureBuffers(int cells, int vertices, double sigma)
    {
        if (_q.Length < cells)
        {
            _logOdds = new float[cells];
            _q = new float[cells];
            _rows = new float[cells];
            _sure = new byte[cells];
        }

        if (_vertexA.Length < vertices)
        {
            _vertexA = new float[vertices];
            _vertexB = new float[vertices];
        }

        if (_gaussianSigma != sigma)
        {
            int radius = (int)Math.Ceiling(3 * sigma);
            _gaussian = new float[2 * radius + 1];
            for (int k = -radius; k <= radius; k++) _gaussian[k + radius] = (float)Math.Exp(-k * k / (2 * sigma * sigma));
            _gaussianSigma = sigma;
        }
    }

    private void MarkSeeds(CrfImage image, IReadOnlyList<PixelPoint> seeds, int radius, byte label)
    {
        int f = image.Factor;
        for (int s = 0; s < seeds.Count; s++)
        {
            PixelPoint p = seeds[s];
            int x0 = Math.Max(0, p.X - radius) / f, x1 = Math.Min(image.Width - 1, (p.X + radius) / f);
            int y0 = Math.Max(0, p.Y - radius) / f, y1 = Math.Min(image.Height - 1, (p.Y + radius) / f);
            for (int y = y0; y <= y1; y++) _sure.AsSpan(y * image.Width + x0, x1 - x0 + 1).Fill(label);
        }
    }

    /// <summary>Sets the squares around the seeds to <paramref name="value"/>; returns how many pixels changed.</summary>
    private static int Stamp(Span<byte> mask, int width, int height, IReadOnlyList<PixelPoint> seeds, int radius, byte value)
    {
        int changed = 0;
        for (int s = 0; s < seeds.Count; s++)
        {
            PixelPoint p = seeds[s];
            int x0 = Math.Max(0, p.X - radius), x1 = Math.Min(width - 1, p.X + radius);
            int y0 = Math.Max(0, p.Y - radius), y1 = Math.Min(height - 1, p.Y + radius);
            for (int y = y0; y <= y1; y++)
            {
                Span<byte> row = mask.Slice(y * width + x0, x1 - x0 + 1);
                changed += row.Length - row.Count(value);
                row.Fill(value);
            }
        }

        return changed;
    }

    private static float Logistic(float z) => 1f / (1f + MathF.Exp(-z));

    /// <summary>The stages as one range job over this solver's buffers (made once per solver).</summary>
    private sealed class Jobs(DenseCrfSolver s) : IRangeJob
    {
        public enum Stage { Unary, Splat, Blur, GaussianRows, Update, Decide }

        public Stage Current { get; set; }

        public CrfImage? Image { get; set; }

        public int ImageWidth { get; set; }

        public int ImageHeight { get; set; }

        public float Threshold { get; set; }

        public float InverseTemperature { get; set; }

        public float BilateralWeight { get; set; }

        public float SmoothnessWeight { get; set; }

        public int Direction { get; set; }

        public float[]? Similarity { get; set; }

        public byte[]? Mask { get; set; }

        public int Selected;

        public void Run(int start, int end)
        {
            switch (Current)
            {
                case Stage.Unary: Unary(start, end); break;
                case Stage.Splat: Image!.Lattice.Splat(s._q, s._vertexA, start, end); break;
                case Stage.Blur: Image!.Lattice.Blur(Direction, s._vertexA, s._vertexB, start, end); break;
                case Stage.GaussianRows: GaussianRows(start, end); break;
                case Stage.Update: Update(start, end); break;
                case Stage.Decide: Interlocked.Add(ref Selected, Decide(start, end)); break;
            }
        }

        /// <summary>Per cell of rows [start, end): the mean over its pixels of the clamped log-odds, and Q's first value.</summary>
        private void Unary(int start, int end)
        {
            CrfImage image = Image!;
            int f = image.Factor, gridWidth = image.Width;
            float[] map = Similarity!;
            for (int gy = start; gy < end; gy++)
            {
                int y0 = gy * f, y1 = Math.Min(ImageHeight, y0 + f);
                for (int gx = 0; gx < gridWidth; gx++)
                {
                    int x0 = gx * f, x1 = Math.Min(ImageWidth, x0 + f);
                    float sum = 0;
                    for (int y = y0; y < y1; y++)
                    {
                        for (int x = x0; x < x1; x++)
                        {
                            float v = map[y * ImageWidth + x];
                            sum += v < -1f ? -MaxLogOdds : Math.Clamp((v - Threshold) * InverseTemperature, -MaxLogOdds, MaxLogOdds);
                        }
                    }

                    int cell = gy * gridWidth + gx;
                    float logOdds = sum / ((y1 - y0) * (x1 - x0));
                    s._logOdds[cell] = logOdds;
                    s._q[cell] = s._sure[cell] switch { SureForeground => 1f, SureBackground => 0f, _ => Logistic(logOdds) };
                }
            }
        }

        /// <summary>The Gaussian kernel's pass along rows [start, end) of Q: per cell, the weighted mean of its row neighbours.</summary>
        private void GaussianRows(int start, int end)
        {
            int w = Image!.Width, radius = s._gaussian.Length / 2;
            ReadOnlySpan<float> kernel = s._gaussian;
            for (int y = start; y < end; y++)
            {
                ReadOnlySpan<float> q = s._q.AsSpan(y * w, w);
                Span<float> row = s._rows.AsSpan(y * w, w);
                for (int x = 0; x < w; x++)
                {
                    int k0 = Math.Max(-radius, -x), k1 = Math.Min(radius, w - 1 - x);
                    float sum = 0, weight = 0;
                    for (int k = k0; k <= k1; k++)
                    {
                        sum += kernel[k + radius] * q[x + k];
                        weight += kernel[k + radius];
                    }

                    row[x] = sum / weight;
                }
            }
        }

        /// <summary>The mean-field update of the cells of rows [start, end), from the blurred lattice and the row pass.</summary>
        private void Update(int start, int end)
        {
            CrfImage image = Image!;
            int w = image.Width, h = image.Height, radius = s._gaussian.Length / 2;
            ReadOnlySpan<float> kernel = s._gaussian;
            for (int y = start; y < end; y++)
            {
                int k0 = Math.Max(-radius, -y), k1 = Math.Min(radius, h - 1 - y);
                float weight = 0;
                for (int k = k0; k <= k1; k++) weight += kernel[k + radius];
                for (int x = 0; x < w; x++)
                {
                    int cell = y * w + x;
                    if (s._sure[cell] != Free) continue;
                    float smooth = 0;
                    for (int k = k0; k <= k1; k++) smooth += kernel[k + radius] * s._rows[cell + k * w];
                    smooth /= weight;
                    float bilateral = image.Lattice.SliceAt(s._vertexA, cell) / image.Normaliser[cell];
                    float z = s._logOdds[cell] + BilateralWeight * (2 * bilateral - 1) + SmoothnessWeight * (2 * smooth - 1);
                    s._q[cell] = Logistic(z);
                }
            }
        }

        /// <summary>
        /// Pixels of rows [start, end): Q bilinearly from the cell centres, object where it is at least ½ and the map does not
        /// exclude the pixel.
        /// </summary>
        private int Decide(int start, int end)
        {
            CrfImage image = Image!;
            int f = image.Factor, gw = image.Width, gh = image.Height, selected = 0;
            float[] map = Similarity!;
            byte[] mask = Mask!;
            float[] q = s._q;
            for (int y = start; y < end; y++)
            {
                float v = Math.Clamp((y + 0.5f) / f - 0.5f, 0f, gh - 1);
                int gy0 = (int)v, gy1 = Math.Min(gy0 + 1, gh - 1);
                float fy = v - gy0;
                int row0 = gy0 * gw, row1 = gy1 * gw;
                for (int x = 0; x < ImageWidth; x++)
                {
                    float u = Math.Clamp((x + 0.5f) / f - 0.5f, 0f, gw - 1);
                    int gx0 = (int)u, gx1 = Math.Min(gx0 + 1, gw - 1);
                    float fx = u - gx0;
                    float top = q[row0 + gx0] + fx * (q[row0 + gx1] - q[row0 + gx0]);
                    float bottom = q[row1 + gx0] + fx * (q[row1 + gx1] - q[row1 + gx0]);
                    int p = y * ImageWidth + x;
                    bool on = top + fy * (bottom - top) >= 0.5f && map[p] >= -1f;
                    mask[p] = on ? (byte)255 : (byte)0;
                    selected += on ? 1 : 0;
                }
            }

            return selected;
        }
    }
}

namespace DinoSeg;

/// <summary>
/// The region options applied to a thresholded mask: labels its 8-connected regions (a pixel touches the 8 around it,
/// diagonals included, so a one-pixel diagonal line is one region), then clears the regions that hold no positive seed
/// and/or are smaller than an area. Regions holding a positive seed or overlapping the box prompt are always kept.
/// Also fills holes: the 4-connected regions of off pixels that do not touch the image border (the dual of 8-connected
/// regions, so a ring closed only at a diagonal still encloses its hole).
/// </summary>
/// <remarks>
/// Labels horizontal runs rather than pixels: each row's runs are found with vectorised byte searches, joined to the
/// touching runs of the row above in a union-find whose roots are always the lowest run index (so one forward pass
/// flattens it). Its buffers grow to the most runs seen and are then reused: no allocation per click after warm-up.
/// </remarks>
internal sealed class RegionFilter
{
    private int[] _start = new int[256], _end = new int[256], _parent = new int[256], _area = new int[256];
    private bool[] _keep = new bool[256];
    private int[] _rowFirst = [];

    /// <summary>Clears the regions the options drop; returns how many pixels it cleared.</summary>
    /// <param name="mask">Row-major mask, 0 = off, anything else = on; cleared pixels become 0.</param>
    /// <param name="width">Row length.</param>
    /// <param name="height">Rows.</param>
    /// <param name="seeds">Positive seeds: the regions holding one are kept.</param>
    /// <param name="box">The box prompt, if any: the regions overlapping it are kept.</param>
    /// <param name="seedRegionsOnly">Drop every region that is not kept by a seed or the box.</param>
    /// <param name="minArea">Drop other regions of fewer pixels than this.</param>
    public int Apply(Span<byte> mask, int width, int height, List<PixelPoint> seeds, PixelRect? box, bool seedRegionsOnly, int minArea)
    {
        int runs = Label(mask, width, height, background: false);
        FlattenAndMeasure(runs);

        foreach (PixelPoint seed in seeds)
        {
            int run = RunAt(seed.X, seed.Y);
            if (run >= 0) _keep[_parent[run]] = true;
        }

        if (box is PixelRect b)
        {
            for (int y = b.Y0; y < b.Y1; y++)
            {
                for (int i = _rowFirst[y]; i < _rowFirst[y + 1]; i++)
                {
                    if (_start[i] < b.X1 && _end[i] > b.X0) _keep[_parent[i]] = true;
                }
            }
        }

        int cleared = 0;
        for (int y = 0; y < height; y++)
        {
            for (int i = _rowFirst[y]; i < _rowFirst[y + 1]; i++)
            {
                int root = _parent[i];
                if (_keep[root] || (!seedRegionsOnly && _area[root] >= minArea)) continue;
                mask.Slice(y * width + _start[i], _end[i] - _start[i]).Clear();
                cleared += _end[i] - _start[i];
            }
        }

        return cleared;
    }

    /// <summary>
    /// Clears the regions in which no pixel of <paramref name="map"/> reaches <paramref name="threshold"/> and that hold no
    /// positive seed: after a mask refinement, the regions it made where the thresholded map had none. Returns how many
    /// pixels it cleared.
    /// </summary>
    public int KeepRegionsReaching(Span<byte> mask, int width, int height, ReadOnlySpan<float> map, float threshold, List<PixelPoint> seeds)
    {
        int runs = Label(mask, width, height, background: false);
        FlattenAndMeasure(runs);
        foreach (PixelPoint seed in seeds)
        {
            int run = RunAt(seed.X, seed.Y);
            if (run >= 0) _keep[_parent[run]] = true;
        }

        for (int y = 0; y < height; y++)
        {
            for (int i = _rowFirst[y]; i < _rowFirst[y + 1]; i++)
            {
                int root = _parent[i];
                if (_keep[root]) continue;
                ReadOnlySpan<float> values = map.Slice(y * width + _start[i], _end[i] - _start[i]);
                foreach (float v in values)
                {
                    if (v >= threshold)
                    {
                        _keep[root] = true;
                        break;
                    }
                }
            }
        }

        int cleared = 0;
        for (int y = 0; y < height; y++)
        {
            for (int i = _rowFirst[y]; i < _rowFirst[y + 1]; i++)
            {
                if (_keep[_parent[i]]) continue;
                mask.Slice(y * width + _start[i], _end[i] - _start[i]).Clear();
                cleared += _end[i] - _start[i];
            }
        }

        return cleared;
    }

    /// <summary>
    /// Fills the holes of at most <paramref name="maxArea"/> pixels: 4-connected regions of off pixels that touch neither the
    /// image border nor a negative seed (a hole the user marked as not-object stays open). Returns how many pixels it set.
    /// </summary>
    /// <param name="mask">Row-major mask, 0 = off, anything else = on; filled pixels become 255.</param>
    /// <param name="width">Row length.</param>
    /// <param name="height">Rows.</param>
    /// <param name="negatives">Negative seeds: the holes holding one stay open.</param>
    /// <param name="maxArea">The largest hole filled, in pixels (0 fills nothing).</param>
    public int FillHoles(Span<byte> mask, int width, int height, List<PixelPoint> negatives, int maxArea)
    {
        if (maxArea <= 0) return 0;
        int runs = Label(mask, width, height, background: true);
        FlattenAndMeasure(runs);
        // _keep marks the off regions that are not holes to fill: those touching the border or holding a negative seed.
        for (int i = 0; i < runs; i++)
        {
            if (_start[i] == 0 || _end[i] == width) _keep[_parent[i]] = true;
        }

        for (int i = _rowFirst[0]; i < _rowFirst[1]; i++) _keep[_parent[i]] = true;
        for (int i = _rowFirst[height - 1]; i < _rowFirst[height]; i++) _keep[_parent[i]] = true;
        foreach (PixelPoint seed in negatives)
        {
            int run = RunAt(seed.X, seed.Y);
            if (run >= 0) _keep[_parent[run]] = true;
        }

        int filled = 0;
        for (int y = 1; y < height - 1; y++)
        {
            for (int i = _rowFirst[y]; i < _rowFirst[y + 1]; i++)
            {
                int root = _parent[i];
                if (_keep[root] || _area[root] > maxArea) continue;
                mask.Slice(y * width + _start[i], _end[i] - _start[i]).Fill(255);
                filled += _end[i] - _start[i];
            }
        }

        return filled;
    }

    /// <summary>
    /// Labels the 8-connected regions of on pixels into <paramref name="labels"/> (row-major, -1 for off pixels, regions
    /// numbered 0, 1, … in the order their first pixel appears row by row); returns the region count.
    /// </summary>
    public int LabelRegions(ReadOnlySpan<byte> mask, int width, int height, Span<int> labels)
    {
        int runs = Label(mask, width, height, background: false);
        FlattenAndMeasure(runs);
        labels.Fill(-1);
        int regions = 0;
        // _area is reused as the root → region number map (a root is its tree's lowest run, so it is numbered before use).
        for (int y = 0; y < height; y++)
        {
            for (int i = _rowFirst[y]; i < _rowFirst[y + 1]; i++)
            {
                int root = _parent[i];
                if (root == i) _area[i] = regions++;
                labels.Slice(y * width + _start[i], _end[i] - _start[i]).Fill(_area[root]);
            }
        }

        return regions;
    }

    /// <summary>Points every run at its root and sums each root's area; clears the keep flags.</summary>
    private void FlattenAndMeasure(int runs)
    {
        _area.AsSpan(0, runs).Clear();
        _keep.AsSpan(0, runs).Clear();
        for (int i = 0; i < runs; i++)
        {
            // Roots are the lowest index of their tree, so every parent before i already points at its root.
            int root = _parent[_parent[i]];
            _parent[i] = root;
            _area[root] += _end[i] - _start[i];
        }
    }

    /// <summary>
    /// Finds the runs of every row and unions those that touch; returns the run count. On pixels (<paramref name="background"/>
    /// false) are 8-connected, off pixels (true) 4-connected.
    /// </summary>
    private int Label(ReadOnlySpan<byte> mask, int width, int height, bool background)
    {
        if (_rowFirst.Length < height + 1) _rowFirst = new int[height + 1];
        int count = 0;
        for (int y = 0; y < height; y++)
        {
            _rowFirst[y] = count;
            ReadOnlySpan<byte> row = mask.Slice(y * width, width);
            int x = 0;
            while (x < width)
            {
                int on = background ? row[x..].IndexOf((byte)0) : row[x..].IndexOfAnyExcept((byte)0);
                if (on < 0) break;
                int start = x + on;
                int off = background ? row[start..].IndexOfAnyExcept((byte)0) : row[start..].IndexOf((byte)0);
                int end = off < 0 ? width : start + off;
                if (count == _start.Length) Grow();
                (_start[count], _end[count], _parent[count]) = (start, end, count);
                count++;
                x = end;
            }

            if (y == 0) continue;
            // Runs [ps, pe) above and [s, e) here touch, diagonals included, when ps ≤ e and pe ≥ s; without diagonals
            // when ps < e and pe > s.
            int touch = background ? 0 : 1;
            int above = _rowFirst[y - 1], aboveEnd = _rowFirst[y];
            for (int c = aboveEnd; c < count; c++)
            {
                while (above < aboveEnd && _end[above] + touch <= _start[c]) above++;
                for (int q = above; q < aboveEnd && _start[q] < _end[c] + touch; q++) Union(q, c);
            }
        }

        _rowFirst[height] = count;
        return count;
    }

    /// <summary>The run that holds pixel (x, y), or -1 when that pixel is off.</summary>
    private int RunAt(int x, int y)
    {
        int lo = _rowFirst[y], hi = _rowFirst[y + 1] - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            if (_end[mid] <= x) lo = mid + 1;
            else if (_start[mid] > x) hi = mid - 1;
            else return mid;
        }

        return -1;
    }

    private void Union(int a, int b)
    {
        a = Find(a);
        b = Find(b);
        if (a < b) _parent[b] = a;
        else if (b < a) _parent[a] = b;
    }

    private int Find(int i)
    {
        while (_parent[i] != i)
        {
            _parent[i] = _parent[_parent[i]]; // path halving keeps parent ≤ index
            i = _parent[i];
        }

        return i;
    }

    private void Grow()
    {
        int size = _start.Length * 2;
        Array.Resize(ref _start, size);
        Array.Resize(ref _end, size);
        Array.Resize(ref _parent, size);
        Array.Resize(ref _area, size);
        Array.Resize(ref _keep, size);
    }
}

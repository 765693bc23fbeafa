using System.Text;

namespace Demo;

/// <summary>A small plain-text table for the console.</summary>
internal sealed class TextTable(params string[] headers)
{
    private readonly List<string[]> _rows = [];

    public TextTable Add(params string[] cells)
    {
        _rows.Add(cells);
        return this;
    }

    public void WriteTo(TextWriter output, string indent = "  ")
    {
        var widths = headers.Select((h, i) => Math.Max(h.Length, _rows.Select(r => i < r.Length ? r[i].Length : 0).DefaultIfEmpty(0).Max())).ToArray();
        output.WriteLine(indent + Line(headers, widths));
        output.WriteLine(indent + string.Join("-+-", widths.Select(w => new string('-', w))));
        foreach (var row in _rows)
        {
            output.WriteLine(indent + Line(row, widths));
        }
    }

    private static string Line(string[] cells, int[] widths)
    {
        var builder = new StringBuilder();
        for (var i = 0; i < widths.Length; i++)
        {
            if (i > 0)
            {
                builder.Append(" | ");
            }

            builder.Append((i < cells.Length ? cells[i] : string.Empty).PadRight(widths[i]));
        }

        return builder.ToString().TrimEnd();
    }
}

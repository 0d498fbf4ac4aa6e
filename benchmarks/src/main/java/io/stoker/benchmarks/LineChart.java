package io.stoker.benchmarks;

import javax.imageio.ImageIO;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A PNG of line charts in rows, drawn with the JDK's own 2D graphics and image writer (headless, no
 * dependency): each panel has a log-scale x axis, a log-scale y axis, one line per series and an optional target
 * line.
 */
final class LineChart
{
    private static final int PANEL_WIDTH = 520;
    private static final int PANEL_HEIGHT = 380;
    private static final int MARGIN_LEFT = 70;
    private static final int MARGIN_RIGHT = 20;
    private static final int MARGIN_TOP = 40;
    private static final int MARGIN_BOTTOM = 50;
    private static final Color[] COLOURS = {
        new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c), new Color(0xd62728), new Color(0x9467bd) };

    /**
     * One line of a panel: points (x, y) in the order drawn.
     */
    record Series(String name, double[] x, double[] y)
    {
    }

    /**
     * One chart.
     */
    record Panel(String title, String xLabel, String yLabel, List<Series> series, double target)
    {
    }

    private final List<Panel> panels = new ArrayList<>();
    private final int columns;

    /**
     * @param columns panels side by side in a row; further ones start a new row.
     */
    LineChart(final int columns)
    {
        this.columns = columns;
    }

    LineChart add(final Panel panel)
    {
        panels.add(panel);
        return this;
    }

    /**
     * Draw the panels, row by row, and write the PNG.
     */
    void write(final Path file)
    {
        System.setProperty("java.awt.headless", "true");
        final int rows = (panels.size() + columns - 1) / columns;
        final BufferedImage image = new BufferedImage(
            PANEL_WIDTH * Math.min(columns, panels.size()), PANEL_HEIGHT * rows, BufferedImage.TYPE_INT_RGB);
        final Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, image.getWidth(), image.getHeight());
        for (int i = 0; i < panels.size(); i++)
        {
            draw(g, panels.get(i), i % columns * PANEL_WIDTH, i / columns * PANEL_HEIGHT);
        }
        g.dispose();
        try
        {
            Files.createDirectories(file.toAbsolutePath().getParent());
            ImageIO.write(image, "png", file.toFile());
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("could not write " + file, ex);
        }
    }

    private static void draw(final Graphics2D g, final Panel panel, final int left, final int top)
    {
        g.translate(0, top);
        g.setStroke(new BasicStroke(1));
        final double[] xRange = range(panel, true);
        final double[] yRange = range(panel, false);
        final int x0 = left + MARGIN_LEFT;
        final int x1 = left + PANEL_WIDTH - MARGIN_RIGHT;
        final int y0 = PANEL_HEIGHT - MARGIN_BOTTOM;
        final int y1 = MARGIN_TOP;
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 13));
        g.drawString(panel.title(), x0, 22);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        g.drawRect(x0, y1, x1 - x0, y0 - y1);
        g.drawString(panel.xLabel(), (x0 + x1) / 2 - 40, PANEL_HEIGHT - 12);
        g.drawString(panel.yLabel(), left + 4, y1 - 6);
        for (double decade = Math.ceil(Math.log10(xRange[0])); decade <= Math.log10(xRange[1]); decade++)
        {
            final int x = scale(Math.pow(10, decade), xRange, x0, x1);
            g.drawLine(x, y0, x, y0 + 4);
            g.drawString(label(Math.pow(10, decade)), x - 12, y0 + 18);
        }
        for (double decade = Math.ceil(Math.log10(yRange[0])); decade <= Math.log10(yRange[1]); decade++)
        {
            final int y = scale(Math.pow(10, decade), yRange, y0, y1);
            g.drawLine(x0 - 4, y, x0, y);
            g.drawString(label(Math.pow(10, decade)), left + 8, y + 4);
        }
        if (panel.target() > 0)
        {
            final int y = scale(panel.target(), yRange, y0, y1);
            g.setColor(Color.GRAY);
            g.setStroke(new BasicStroke(1, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10, new float[]{ 6, 4 }, 0));
            g.drawLine(x0, y, x1, y);
            g.drawString("target " + label(panel.target()), x1 - 90, y - 4);
        }
        for (int s = 0; s < panel.series().size(); s++)
        {
            final Series series = panel.series().get(s);
            g.setColor(COLOURS[s % COLOURS.length]);
            g.setStroke(new BasicStroke(2));
            for (int i = 0; i < series.x().length; i++)
            {
                final int x = scale(series.x()[i], xRange, x0, x1);
                final int y = scale(series.y()[i], yRange, y0, y1);
                g.fillOval(x - 3, y - 3, 6, 6);
                if (i > 0)
                {
                    final int previousX = scale(series.x()[i - 1], xRange, x0, x1);
                    g.drawLine(previousX, scale(series.y()[i - 1], yRange, y0, y1), x, y);
                }
            }
            g.drawString(series.name(), x0 + 8, y1 + 16 + 14 * s);
        }
        g.translate(0, -top);
    }

    private static double[] range(final Panel panel, final boolean x)
    {
        double low = Double.MAX_VALUE;
        double high = Double.MIN_VALUE;
        for (final Series series : panel.series())
        {
            for (final double value : x ? series.x() : series.y())
            {
                low = Math.min(low, value);
                high = Math.max(high, value);
            }
        }
        if (!x && panel.target() > 0)
        {
            low = Math.min(low, panel.target());
            high = Math.max(high, panel.target());
        }
        return new double[]{ Math.pow(10, Math.floor(Math.log10(low))), Math.pow(10, Math.ceil(Math.log10(high))) };
    }

    private static int scale(final double value, final double[] range, final int from, final int to)
    {
        final double at = (Math.log10(value) - Math.log10(range[0])) / (Math.log10(range[1]) - Math.log10(range[0]));
        return (int)Math.round(from + at * (to - from));
    }

    private static String label(final double value)
    {
        final int exponent = (int)Math.round(Math.log10(value));
        return exponent >= -2 && exponent <= 4 ? String.format(Locale.ROOT, "%s", trim(value)) : "1e" + exponent;
    }

    private static String trim(final double value)
    {
        return value == Math.rint(value) ? Long.toString((long)value) : Double.toString(value);
    }
}

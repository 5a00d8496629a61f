//! Tiling parameters of a render pass: from the framebuffer's size, layers, samples and
//! tilebuffer tile (utile) size, the tile grid, the macro-tile split, the sizes of the
//! per-scene TVB objects (tilemap, tail pointer cache, clustering metadata), the heap's minimum
//! size, and the register values the `RunVertex`/`RunFragment` commands carry.
//!
//! Pure arithmetic: no state, no locks, no allocation. Every input is validated against the
//! hardware's limits (typed [`TilingError`]s, each limit a named constant); sizes that can
//! exceed 32 bits are `u64`, so no input overflows.
//!
//! Sources: downstream `queue/render.rs` `get_tiling_params` and the derived values of
//! `submit_render` (reference `firmware-commands.md` §3.2 and §2.5 "Derived values", which
//! follows the newest downstream tree, DRV-J; herrnst/linux-asahi @ 03c829f7 has the older
//! `min_tvb_blocks` = max(⌈tiles/128⌉, 8) and no per-layer clustering stride), `buffer.rs`
//! `new_scene` (clustering buffer sizes) and `hw/*.rs` (`tiling_control`, `HwClusteringConfig`,
//! reference §3.2).

use super::super::job::VertexTilingParams;
use super::super::types::Pad;

/// Tiles are always 32×32 pixels (downstream `tile_width`/`tile_height`).
pub const TILE_SIZE: u32 = 32;
/// Macro-tiles per axis: the screen is split 4×4 (downstream `mtiles_x`/`mtiles_y`).
pub const MTILES_PER_AXIS: u32 = 4;
/// Macro-tiles in all.
pub const MTILES: u32 = MTILES_PER_AXIS * MTILES_PER_AXIS;
/// Largest framebuffer width and height (downstream `submit_render`: `width_px > 16384` is
/// EINVAL; reference §3.2).
pub const MAX_DIMENSION: u32 = 16384;
/// Most layers (downstream `get_tiling_params`: `layers == 0 || layers > 2048` is EINVAL).
pub const MAX_LAYERS: u32 = 2048;
/// The utile sizes (width, height) the hardware takes (downstream `get_tiling_params`).
pub const UTILE_SIZES: [(u32, u32); 3] = [(32, 32), (32, 16), (16, 16)];
/// The sample counts the hardware takes (downstream `submit_render` `samples_log2`).
pub const SAMPLE_COUNTS: [u32; 3] = [1, 2, 4];
/// Most GPU clusters of any supported SoC (the M1/M2 Ultra's 8; `hwdata_soc` refuses more).
pub const MAX_CLUSTERS: u32 = 8;
/// Bytes per region (tilemap) entry per utile (downstream `rgn_entry_size`).
pub const RGN_ENTRY_SIZE: u32 = 5;
/// Bytes per tail-pointer-cache entry per utile (downstream `tpc_entry_size`).
pub const TPC_ENTRY_SIZE: u32 = 8;
/// Divisor of the clustering meta1 stride, "fits what macOS does" (downstream `0x1980`).
pub const META1_DIVISOR: u32 = 0x1980;
/// Bytes of layer metadata with more than one layer (downstream `layermeta_size`).
pub const LAYERMETA_SIZE: u32 = 0x100;
/// Tilebuffer allocation unit, 2 KiB (downstream `submit_render` `block_size_bytes`).
pub const TIB_BLOCK_SIZE: u64 = 2048;
/// Heap blocks per 128 tiles, aligned to this (reference §3.2 `min_tvb_blocks`).
pub const MIN_TVB_ALIGN: u32 = 8;
/// `tiling_control` bit that turns vertex clustering off (downstream
/// `TILECTL_DISABLE_CLUSTERING`).
pub const TILECTL_DISABLE_CLUSTERING: u32 = 1 << 0;
/// `tiling_control` base of t8103 and t8112 (downstream `hw/t8103.rs`, reference §3.2).
pub const TILING_CONTROL_T8103: u32 = 0xa041;
/// `tiling_control` base of t600x.
pub const TILING_CONTROL_T600X: u32 = 0xa540;
/// `tiling_control` base of t602x.
pub const TILING_CONTROL_T602X: u32 = 0x18_0340;

/// Why a render's tiling cannot be computed: the hardware cannot do it (EINVAL for SUBMIT).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TilingError {
    /// Width or height is zero.
    ZeroSize {
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
    },
    /// Width or height above `max` ([`MAX_DIMENSION`]).
    TooLarge {
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
        /// The limit.
        max: u32,
    },
    /// Zero layers.
    NoLayers,
    /// More than `max` ([`MAX_LAYERS`]) layers.
    TooManyLayers {
        /// Layers asked for.
        layers: u32,
        /// The limit.
        max: u32,
    },
    /// A sample count not in [`SAMPLE_COUNTS`].
    BadSamples {
        /// Samples asked for.
        samples: u32,
    },
    /// A utile size not in [`UTILE_SIZES`].
    BadUtileSize {
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
    },
    /// A cluster count of 0 or above [`MAX_CLUSTERS`].
    BadClusters {
        /// Clusters given.
        clusters: u32,
    },
}

/// The framebuffer of a render pass, as the uAPI's `drm_asahi_cmd_render` gives it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RenderGeometry {
    /// Width in pixels (`width_px`).
    pub width: u32,
    /// Height in pixels (`height_px`).
    pub height: u32,
    /// Layers (`layers`).
    pub layers: u32,
    /// Samples per pixel (`samples`).
    pub samples: u32,
    /// Utile width in pixels (`utile_width_px`).
    pub utile_width: u32,
    /// Utile height in pixels (`utile_height_px`).
    pub utile_height: u32,
}

/// Per-SoC clustering buffer sizes (downstream `hw::HwClusteringConfig`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClusteringConfig {
    /// Bytes per meta1 block.
    pub meta1_blocksize: u32,
    /// Bytes of meta2.
    pub meta2_size: u32,
    /// Bytes of meta3.
    pub meta3_size: u32,
    /// Bytes of meta4.
    pub meta4_size: u32,
    /// Most cluster splits: cluster tilemaps per scene.
    pub max_splits: u32,
}

/// t600x clustering sizes (reference §3.2).
pub const CLUSTERING_T600X: ClusteringConfig = ClusteringConfig {
    meta1_blocksize: 0x44,
    meta2_size: 0x600,
    meta3_size: 0x1400,
    meta4_size: 0x300,
    max_splits: 16,
};
/// t602x clustering sizes (reference §3.2).
pub const CLUSTERING_T602X: ClusteringConfig = ClusteringConfig {
    meta1_blocksize: 0x44,
    meta2_size: 0xc00,
    meta3_size: 0x2800,
    meta4_size: 0x800,
    max_splits: 64,
};

/// The per-scene clustering buffers' sizes (downstream `new_scene`): the cluster tilemaps
/// ("CTMP") and the metadata ("CMTA": clmeta, meta1..4 back to back).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClusterSizes {
    /// Bytes of the cluster tilemaps: `max_splits` × tilemap size.
    pub tilemaps: u64,
    /// Bytes of the cluster layer metadata: layermeta size × `max_splits`.
    pub clmeta: u64,
    /// Bytes of meta1: meta1 blocks × block size, aligned to 0x80.
    pub meta1: u64,
    /// Bytes of meta2, aligned to 0x80.
    pub meta2: u64,
    /// Bytes of meta3, aligned to 0x80.
    pub meta3: u64,
    /// Bytes of meta4.
    pub meta4: u64,
}

impl ClusterSizes {
    /// Bytes of the metadata buffer.
    pub const fn meta_size(&self) -> u64 {
        self.clmeta + self.meta1 + self.meta2 + self.meta3 + self.meta4
    }
    /// Offset of meta1 in the metadata buffer (downstream `meta1_off`).
    pub const fn meta1_off(&self) -> u64 {
        self.clmeta
    }
    /// Offset of meta2.
    pub const fn meta2_off(&self) -> u64 {
        self.clmeta + self.meta1
    }
    /// Offset of meta3.
    pub const fn meta3_off(&self) -> u64 {
        self.clmeta + self.meta1 + self.meta2
    }
    /// Offset of meta4.
    pub const fn meta4_off(&self) -> u64 {
        self.clmeta + self.meta1 + self.meta2 + self.meta3
    }
}

/// The tiling of one render pass (downstream `buffer::TileInfo`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TileInfo {
    /// The validated input.
    pub geometry: RenderGeometry,
    /// Clusters the vertex work is split over (1 without clustering).
    pub clusters: u32,
    /// Tiles across: ⌈width / 32⌉.
    pub tiles_x: u32,
    /// Tiles down: ⌈height / 32⌉.
    pub tiles_y: u32,
    /// Tiles in all.
    pub tiles: u32,
    /// Utiles per tile across.
    pub utiles_per_tile_x: u32,
    /// Utiles per tile down.
    pub utiles_per_tile_y: u32,
    /// Utiles per tile.
    pub utiles_per_tile: u32,
    /// Tiles per macro-tile across: ⌈tiles_x / 4⌉ aligned to 4.
    pub tiles_per_mtile_x: u32,
    /// Tiles per macro-tile down.
    pub tiles_per_mtile_y: u32,
    /// Tiles per macro-tile (`TilingParameters.tiles_per_mtile`).
    pub tiles_per_mtile: u32,
    /// Utiles per macro-tile across (`utiles_per_mtile_x`, fragment job parameters 2).
    pub utiles_per_mtile_x: u32,
    /// Utiles per macro-tile down.
    pub utiles_per_mtile_y: u32,
    /// Macro-tile stride in 32-bit words (`TilingParameters.rgn_size`).
    pub rgn_size: u32,
    /// Bytes of the tilemap ("TMAP"), all layers, one cluster.
    pub tilemap_size: u64,
    /// TPC stride in words (`TilingParameters.tpc_stride`).
    pub tpc_stride: u32,
    /// Bytes of the tail pointer cache, all layers and clusters.
    pub tpc_size: u64,
    /// Clustering meta1 blocks per layer (0 without clustering).
    pub meta1_layer_stride: u32,
    /// Clustering meta1 blocks on G13/G14G: the stride × layers (G14X uses the stride, see
    /// [`TileInfo::meta1_blocks_for`]).
    pub meta1_blocks: u32,
    /// Bytes of layer metadata: [`LAYERMETA_SIZE`] with several layers, else 0.
    pub layermeta_size: u32,
    /// Least heap blocks this render needs.
    pub min_tvb_blocks: u32,
    /// log2 of the sample count.
    pub samples_log2: u32,
}

/// `v` rounded up to a multiple of `a` (a power of two).
const fn align_up(v: u32, a: u32) -> u32 {
    (v + (a - 1)) & !(a - 1)
}

/// `v` rounded up to a multiple of `a` (a power of two), in 64 bits.
const fn align_up64(v: u64, a: u64) -> u64 {
    (v + (a - 1)) & !(a - 1)
}

impl TileInfo {
    /// Computes the tiling of `geom` over `clusters` clusters (the GPU's count with vertex
    /// clustering, 1 without: see [`effective_clusters`]).
    pub fn new(geom: &RenderGeometry, clusters: u32) -> Result<TileInfo, TilingError> {
        let RenderGeometry {
            width,
            height,
            layers,
            samples,
            utile_width,
            utile_height,
        } = *geom;
        if width == 0 || height == 0 {
            return Err(TilingError::ZeroSize { width, height });
        }
        if width > MAX_DIMENSION || height > MAX_DIMENSION {
            return Err(TilingError::TooLarge {
                width,
                height,
                max: MAX_DIMENSION,
            });
        }
        if layers == 0 {
            return Err(TilingError::NoLayers);
        }
        if layers > MAX_LAYERS {
            return Err(TilingError::TooManyLayers {
                layers,
                max: MAX_LAYERS,
            });
        }
        if !UTILE_SIZES.contains(&(utile_width, utile_height)) {
            return Err(TilingError::BadUtileSize {
                width: utile_width,
                height: utile_height,
            });
        }
        let samples_log2 = match samples {
            1 => 0,
            2 => 1,
            4 => 2,
            _ => return Err(TilingError::BadSamples { samples }),
        };
        if clusters == 0 || clusters > MAX_CLUSTERS {
            return Err(TilingError::BadClusters { clusters });
        }

        // With width, height <= 16384 and utiles of at least 16 pixels, every u32 product
        // below stays under 2^21; only the layer and cluster multiples go to u64.
        let utiles_per_tile_x = TILE_SIZE / utile_width;
        let utiles_per_tile_y = TILE_SIZE / utile_height;
        let utiles_per_tile = utiles_per_tile_x * utiles_per_tile_y;
        let tiles_x = width.div_ceil(TILE_SIZE);
        let tiles_y = height.div_ceil(TILE_SIZE);
        let tiles = tiles_x * tiles_y;
        let tiles_per_mtile_x = align_up(tiles_x.div_ceil(MTILES_PER_AXIS), 4);
        let tiles_per_mtile_y = align_up(tiles_y.div_ceil(MTILES_PER_AXIS), 4);
        let tiles_per_mtile = tiles_per_mtile_x * tiles_per_mtile_y;
        let rgn_size = align_up(RGN_ENTRY_SIZE * tiles_per_mtile * utiles_per_tile, 4) / 4;
        let tilemap_size = u64::from(4 * rgn_size * MTILES) * u64::from(layers);
        let tpc_stride = TPC_ENTRY_SIZE * utiles_per_tile * tiles_per_mtile / 4;
        let tpc_size = u64::from(4 * tpc_stride * MTILES) * u64::from(layers) * u64::from(clusters);
        let meta1_layer_stride = if clusters > 1 {
            (align_up(tiles_x, 2) * align_up(tiles_y, 4) * utiles_per_tile).div_ceil(META1_DIVISOR)
        } else {
            0
        };
        let mut min_tvb_blocks = align_up(tiles.div_ceil(128), MIN_TVB_ALIGN);
        if clusters > 1 {
            min_tvb_blocks = min_tvb_blocks.max(7 + 2 * layers);
        }
        Ok(TileInfo {
            geometry: *geom,
            clusters,
            tiles_x,
            tiles_y,
            tiles,
            utiles_per_tile_x,
            utiles_per_tile_y,
            utiles_per_tile,
            tiles_per_mtile_x,
            tiles_per_mtile_y,
            tiles_per_mtile,
            utiles_per_mtile_x: tiles_per_mtile_x * utiles_per_tile_x,
            utiles_per_mtile_y: tiles_per_mtile_y * utiles_per_tile_y,
            rgn_size,
            tilemap_size,
            tpc_stride,
            tpc_size,
            meta1_layer_stride,
            // At most 2^21 / 0x1980 × 2048, under 2^20.
            meta1_blocks: meta1_layer_stride * layers,
            layermeta_size: if layers > 1 { LAYERMETA_SIZE } else { 0 },
            min_tvb_blocks,
            samples_log2,
        })
    }

    /// Meta1 blocks as the variant uses them: the per-layer stride on G14X (`reg_list`), the
    /// layers' total before (downstream `#[ver(G >= G14X)] meta1_blocks`).
    pub const fn meta1_blocks_for(&self, reg_list: bool) -> u32 {
        if reg_list {
            self.meta1_layer_stride
        } else {
            self.meta1_blocks
        }
    }

    /// `te_screen` and the fragment `tile_counts`: `(tiles_y − 1) << 12 | (tiles_x − 1)`.
    pub const fn te_screen(&self) -> u32 {
        ((self.tiles_y - 1) << 12) | (self.tiles_x - 1)
    }

    /// `te_mtile1`: `3m | 2m << 9 | m << 18` for m = tiles per macro-tile across.
    pub const fn te_mtile1(&self) -> u32 {
        let m = self.tiles_per_mtile_x;
        (3 * m) | ((2 * m) << 9) | (m << 18)
    }

    /// `te_mtile2`: likewise down.
    pub const fn te_mtile2(&self) -> u32 {
        let m = self.tiles_per_mtile_y;
        (3 * m) | ((2 * m) << 9) | (m << 18)
    }

    /// Last pixel column (`x_max`); below 16384, so it fits.
    pub const fn x_max(&self) -> u16 {
        // CAST: width <= MAX_DIMENSION = 16384.
        (self.geometry.width - 1) as u16
    }

    /// Last pixel row (`y_max`).
    pub const fn y_max(&self) -> u16 {
        // CAST: height <= MAX_DIMENSION = 16384.
        (self.geometry.height - 1) as u16
    }

    /// `TilingParameters.unk_28` (G14X register 0x10169, TA_RENDER_TARGET_MAX):
    /// `0xe000 | (layers − 1)` with several layers, else 0x8000.
    pub const fn render_target_max(&self) -> u32 {
        if self.geometry.layers > 1 {
            0xe000 | (self.geometry.layers - 1)
        } else {
            0x8000
        }
    }

    /// `utile_config`: `(utile_w / 16) << 12 | (utile_h / 16) << 14 | log2(samples)`.
    pub const fn utile_config(&self) -> u32 {
        ((self.geometry.utile_width / 16) << 12)
            | ((self.geometry.utile_height / 16) << 14)
            | self.samples_log2
    }

    /// G14X `ISP_MTILE_SIZE`: `utiles_per_mtile_y | utiles_per_mtile_x << 16`.
    pub const fn isp_mtile_size(&self) -> u32 {
        self.utiles_per_mtile_y | (self.utiles_per_mtile_x << 16)
    }

    /// Fragment `mtile_stride_dwords`: `(4 · rgn_size) << 24`.
    pub const fn mtile_stride_dwords(&self) -> u64 {
        (4 * self.rgn_size as u64) << 24
    }

    /// `tib_blocks`: 2 KiB tilebuffer blocks per utile for `sample_size` bytes per sample,
    /// ⌈sample_size · utile_w · utile_h · samples / 2048⌉ (at most 510 for a `u8` size).
    pub const fn tib_blocks(&self, sample_size: u8) -> u32 {
        let g = &self.geometry;
        let bytes = sample_size as u64 * (g.utile_width * g.utile_height * g.samples) as u64;
        // CAST: at most 255 × 4096 / 2048.
        bytes.div_ceil(TIB_BLOCK_SIZE) as u32
    }

    /// `tile_config`: `0x280 | (layers > 1) | (process_empty_tiles ? 0x10000 : 0)`.
    pub const fn tile_config(&self, process_empty_tiles: bool) -> u64 {
        0x280
            | if self.geometry.layers > 1 { 1 } else { 0 }
            | if process_empty_tiles { 0x10000 } else { 0 }
    }

    /// G14X `frg_tilecfg`: `0x36011 | (tx − 1) << 44 | (ty − 1) << 53 | 0x20_0000_0000 |
    /// (layers > 1 ? 0x1_0000_0000 : 0) | (utile_config & 0xf000) << 28`.
    pub const fn frg_tilecfg(&self) -> u64 {
        0x3_6011
            | (((self.tiles_x - 1) as u64) << 44)
            | (((self.tiles_y - 1) as u64) << 53)
            | 0x20_0000_0000
            | if self.geometry.layers > 1 {
                0x1_0000_0000
            } else {
                0
            }
            | (((self.utile_config() & 0xf000) as u64) << 28)
    }

    /// `VertexJobParams1.unk_f0`: `0x1c + align(meta1_blocks, 4)` on G13, 0x1c on G14X
    /// (downstream `vtx_unk_f0`; G14G has no such field).
    pub const fn vertex_unk_f0(&self, reg_list: bool) -> u64 {
        if reg_list {
            0x1c
        } else {
            0x1c + align_up64(self.meta1_blocks as u64, 4)
        }
    }

    /// The `TilingParameters` block of a G13/G14G `RunVertex` (reference §3.2), with the
    /// uAPI's `ppp_ctrl` and `vertex_helper.cfg`.
    pub fn tiling_params(&self, ppp_ctrl: u32, helper_cfg: u32) -> VertexTilingParams {
        VertexTilingParams {
            rgn_size: self.rgn_size,
            unk_4: 0x88,
            ppp_ctrl,
            x_max: self.x_max(),
            y_max: self.y_max(),
            te_screen: self.te_screen(),
            te_mtile1: self.te_mtile1(),
            te_mtile2: self.te_mtile2(),
            tiles_per_mtile: self.tiles_per_mtile,
            tpc_stride: self.tpc_stride,
            unk_24: 0x100,
            unk_28: self.render_target_max(),
            helper_cfg,
            pad_30: Pad::ZERO,
        }
    }

    /// The clustering buffers' sizes with `cfg`, `None` without clustering.
    pub const fn cluster_sizes(&self, cfg: &ClusteringConfig) -> Option<ClusterSizes> {
        if self.clusters <= 1 {
            return None;
        }
        let splits = cfg.max_splits as u64;
        Some(ClusterSizes {
            tilemaps: splits * self.tilemap_size,
            clmeta: self.layermeta_size as u64 * splits,
            meta1: align_up64(self.meta1_blocks as u64 * cfg.meta1_blocksize as u64, 0x80),
            meta2: align_up64(cfg.meta2_size as u64, 0x80),
            meta3: align_up64(cfg.meta3_size as u64, 0x80),
            meta4: cfg.meta4_size as u64,
        })
    }
}

/// Clusters a render's vertex work uses: the GPU's, unless it has one or the render asks for
/// no clustering (uAPI `DRM_ASAHI_RENDER_NO_VERTEX_CLUSTERING`; downstream `submit_render`).
pub const fn effective_clusters(num_clusters: u32, no_vertex_clustering: bool) -> u32 {
    if num_clusters > 1 && !no_vertex_clustering {
        num_clusters
    } else {
        1
    }
}

/// `tiling_control` (G13, G14X): the SoC's base value, with [`TILECTL_DISABLE_CLUSTERING`]
/// when the render does not cluster (`clusters` = 1).
pub const fn tiling_control(base: u32, clusters: u32) -> u32 {
    if clusters > 1 {
        base
    } else {
        base | TILECTL_DISABLE_CLUSTERING
    }
}

#[cfg(test)]
#[path = "tiling_tests.rs"]
mod tests;

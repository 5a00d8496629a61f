//! Host tests of the tiling math. Expected values are worked out by hand from downstream's
//! formulas (`get_tiling_params`, reference §3.2) and written as literals, not recomputed with
//! the engine's own expressions.

use super::*;

fn geom(width: u32, height: u32, layers: u32, samples: u32, utile: (u32, u32)) -> RenderGeometry {
    RenderGeometry {
        width,
        height,
        layers,
        samples,
        utile_width: utile.0,
        utile_height: utile.1,
    }
}

/// 1920×1080, 1 sample, 1 layer, 32×32 utiles, one cluster (an M1):
/// tiles 60×34 (1080/32 = 33.75), macro-tile 16×12 (⌈60/4⌉ = 15 → 16, ⌈34/4⌉ = 9 → 12),
/// rgn_size 5·192·1/4 = 240 words, tilemap 4·240·16 = 15360 B, tpc_stride 8·192/4 = 384,
/// TPC 4·384·16 = 24576 B, min blocks align(⌈2040/128⌉ = 16, 8) = 16.
#[test]
fn full_hd_single_sample() {
    let t = TileInfo::new(&geom(1920, 1080, 1, 1, (32, 32)), 1).unwrap();
    assert_eq!((t.tiles_x, t.tiles_y, t.tiles), (60, 34, 2040));
    assert_eq!(t.utiles_per_tile, 1);
    assert_eq!(
        (t.tiles_per_mtile_x, t.tiles_per_mtile_y, t.tiles_per_mtile),
        (16, 12, 192)
    );
    assert_eq!((t.utiles_per_mtile_x, t.utiles_per_mtile_y), (16, 12));
    assert_eq!(t.rgn_size, 240);
    assert_eq!(t.tilemap_size, 15360);
    assert_eq!(t.tpc_stride, 384);
    assert_eq!(t.tpc_size, 24576);
    assert_eq!(
        (t.meta1_layer_stride, t.meta1_blocks, t.layermeta_size),
        (0, 0, 0)
    );
    assert_eq!(t.min_tvb_blocks, 16);
    assert_eq!(t.te_screen(), 0x2_103b);
    assert_eq!(t.te_mtile1(), 0x40_4030);
    assert_eq!(t.te_mtile2(), 0x30_3024);
    assert_eq!((t.x_max(), t.y_max()), (1919, 1079));
    assert_eq!(t.render_target_max(), 0x8000);
    assert_eq!(t.utile_config(), 0xa000);
    assert_eq!(t.isp_mtile_size(), 12 | 16 << 16);
    assert_eq!(t.mtile_stride_dwords(), 960 << 24);
    assert_eq!(t.tile_config(false), 0x280);
    assert_eq!(t.tile_config(true), 0x1_0280);
    assert_eq!(t.frg_tilecfg(), 0x0423_ba20_0003_6011);
    // 4-byte samples in a 32×32 utile: 4096 B, two 2 KiB blocks.
    assert_eq!(t.tib_blocks(4), 2);
    assert_eq!(t.tib_blocks(5), 3);
    assert_eq!(t.vertex_unk_f0(false), 0x1c);
    let p = t.tiling_params(0x1234, 0x55);
    assert_eq!(
        (p.rgn_size, p.unk_4, p.ppp_ctrl, p.x_max, p.y_max),
        (240, 0x88, 0x1234, 1919, 1079)
    );
    assert_eq!(
        (p.te_screen, p.te_mtile1, p.te_mtile2),
        (0x2_103b, 0x40_4030, 0x30_3024)
    );
    assert_eq!(
        (p.tiles_per_mtile, p.tpc_stride, p.unk_24, p.unk_28),
        (192, 384, 0x100, 0x8000)
    );
    assert_eq!(p.helper_cfg, 0x55);
    assert_eq!(t.cluster_sizes(&CLUSTERING_T600X), None);
}

/// 3840×2160 with 4 samples in 16×16 utiles: tiles 120×68, 4 utiles per tile, macro-tile
/// 32×20 = 640 tiles, rgn_size 5·640·4/4 = 3200, tilemap 204800 B, tpc_stride 8·4·640/4 = 5120,
/// TPC 327680 B, min blocks align(⌈8160/128⌉ = 64, 8) = 64; utile_config 1<<12 | 1<<14 | 2.
#[test]
fn uhd_four_samples() {
    let t = TileInfo::new(&geom(3840, 2160, 1, 4, (16, 16)), 1).unwrap();
    assert_eq!((t.tiles_x, t.tiles_y, t.tiles), (120, 68, 8160));
    assert_eq!(t.utiles_per_tile, 4);
    assert_eq!((t.tiles_per_mtile_x, t.tiles_per_mtile_y), (32, 20));
    assert_eq!((t.utiles_per_mtile_x, t.utiles_per_mtile_y), (64, 40));
    assert_eq!(t.rgn_size, 3200);
    assert_eq!(t.tilemap_size, 204_800);
    assert_eq!(t.tpc_stride, 5120);
    assert_eq!(t.tpc_size, 327_680);
    assert_eq!(t.min_tvb_blocks, 64);
    assert_eq!(t.samples_log2, 2);
    assert_eq!(t.utile_config(), 0x5002);
    // 8 bytes × 256 pixels × 4 samples = 8 KiB: four blocks; 255-byte samples: 261120 B,
    // 127.5 blocks, rounded up.
    assert_eq!(t.tib_blocks(8), 4);
    assert_eq!(t.tib_blocks(255), 128);
    assert_eq!(t.tib_blocks(0), 0);
    // Two samples, 32×16 utiles: 2 utiles per tile, log2 1.
    let t2 = TileInfo::new(&geom(3840, 2160, 1, 2, (32, 16)), 1).unwrap();
    assert_eq!(t2.utiles_per_tile, 2);
    assert_eq!(t2.rgn_size, 1600);
    assert_eq!(t2.utile_config(), 2 << 12 | 1 << 14 | 1);
}

/// The 16384×16384 limit with 16×16 utiles: 512×512 tiles, macro-tile 128×128, rgn_size
/// 5·16384·4/4 = 81920, tilemap 5 MiB per layer; with all 2048 layers 10 GiB, past 32 bits.
#[test]
fn largest_framebuffer() {
    let t = TileInfo::new(&geom(16384, 16384, 1, 1, (16, 16)), 1).unwrap();
    assert_eq!((t.tiles_x, t.tiles_y, t.tiles), (512, 512, 262_144));
    assert_eq!(t.tiles_per_mtile, 16384);
    assert_eq!(t.rgn_size, 81920);
    assert_eq!(t.tilemap_size, 5_242_880);
    assert_eq!(t.tpc_size, 8_388_608);
    assert_eq!(t.min_tvb_blocks, 2048);
    assert_eq!(t.te_screen(), 0x1f_f1ff);
    assert_eq!((t.x_max(), t.y_max()), (16383, 16383));
    let all = TileInfo::new(&geom(16384, 16384, MAX_LAYERS, 4, (16, 16)), MAX_CLUSTERS).unwrap();
    assert_eq!(all.tilemap_size, 10_737_418_240);
    assert_eq!(all.tpc_size, 8_388_608 * 2048 * 8);
    assert_eq!(all.render_target_max(), 0xe7ff);
    // The largest tilebuffer: 255-byte samples, 32×32 utiles, 4 samples: 510 blocks.
    let big = TileInfo::new(&geom(64, 64, 1, 4, (32, 32)), 1).unwrap();
    assert_eq!(big.tib_blocks(255), 510);
    // Clustered: max(2048, 7 + 2·2048) = 4103 blocks, still under the heap maximum.
    assert_eq!(all.min_tvb_blocks, 4103);
    assert!(all.min_tvb_blocks <= super::super::buffer_mgr::MAX_BLOCKS);
}

/// 1×1: one tile, macro-tile 4×4 (aligned up), rgn_size 5·16/4 = 20, tilemap 1280 B, TPC
/// 2048 B, 8 blocks at least.
#[test]
fn one_pixel() {
    let t = TileInfo::new(&geom(1, 1, 1, 1, (32, 32)), 1).unwrap();
    assert_eq!((t.tiles_x, t.tiles_y, t.tiles), (1, 1, 1));
    assert_eq!(t.tiles_per_mtile, 16);
    assert_eq!(t.rgn_size, 20);
    assert_eq!(t.tilemap_size, 1280);
    assert_eq!(t.tpc_stride, 32);
    assert_eq!(t.tpc_size, 2048);
    assert_eq!(t.min_tvb_blocks, 8);
    assert_eq!(t.te_screen(), 0);
    assert_eq!(t.te_mtile1(), 0x10_100c);
    assert_eq!((t.x_max(), t.y_max()), (0, 0));
    // 33 pixels spill into a second tile.
    let t = TileInfo::new(&geom(33, 32, 1, 1, (32, 32)), 1).unwrap();
    assert_eq!((t.tiles_x, t.tiles_y), (2, 1));
}

/// Layered and clustered (an M1 Ultra, 8 clusters, t600x sizes): 1920×1080 in 32×32 utiles.
/// meta1 stride ⌈align(60,2)·align(34,4)·1 / 0x1980⌉ = ⌈2160/6528⌉ = 1; layer metadata 0x100;
/// min blocks max(16, 7 + 2·layers); TPC × 8 clusters.
#[test]
fn layered_and_clustered() {
    let t = TileInfo::new(&geom(1920, 1080, 4, 1, (32, 32)), 8).unwrap();
    assert_eq!(t.tilemap_size, 15360 * 4);
    assert_eq!(t.tpc_size, 24576 * 4 * 8);
    assert_eq!((t.meta1_layer_stride, t.meta1_blocks), (1, 4));
    assert_eq!(t.meta1_blocks_for(true), 1);
    assert_eq!(t.meta1_blocks_for(false), 4);
    assert_eq!(t.layermeta_size, 0x100);
    assert_eq!(t.min_tvb_blocks, 16);
    assert_eq!(t.render_target_max(), 0xe003);
    assert_eq!(t.tile_config(false), 0x281);
    assert_eq!(t.vertex_unk_f0(false), 0x1c + 4);
    assert_eq!(t.vertex_unk_f0(true), 0x1c);
    let c = t.cluster_sizes(&CLUSTERING_T600X).unwrap();
    assert_eq!(c.tilemaps, 16 * 61440);
    assert_eq!(c.clmeta, 0x1000);
    // 4 × 0x44 = 0x110, aligned to 0x180.
    assert_eq!(
        (c.meta1, c.meta2, c.meta3, c.meta4),
        (0x180, 0x600, 0x1400, 0x300)
    );
    assert_eq!(c.meta_size(), 0x1000 + 0x180 + 0x600 + 0x1400 + 0x300);
    assert_eq!(
        (c.meta1_off(), c.meta2_off(), c.meta3_off(), c.meta4_off()),
        (0x1000, 0x1180, 0x1780, 0x2b80)
    );
    let t = TileInfo::new(&geom(1920, 1080, 8, 1, (32, 32)), 8).unwrap();
    assert_eq!(t.min_tvb_blocks, 23);
    // One layer: no layer metadata, meta1 0x44 → 0x80; t602x sizes.
    let t = TileInfo::new(&geom(1920, 1080, 1, 1, (32, 32)), 2).unwrap();
    let c = t.cluster_sizes(&CLUSTERING_T602X).unwrap();
    assert_eq!((c.tilemaps, c.clmeta, c.meta1), (64 * 15360, 0, 0x80));
    assert_eq!((c.meta2, c.meta3, c.meta4), (0xc00, 0x2800, 0x800));
}

#[test]
fn clustering_choice_and_tiling_control() {
    assert_eq!(effective_clusters(1, false), 1);
    assert_eq!(effective_clusters(8, false), 8);
    assert_eq!(effective_clusters(8, true), 1);
    assert_eq!(tiling_control(TILING_CONTROL_T8103, 1), 0xa041);
    assert_eq!(tiling_control(TILING_CONTROL_T600X, 8), 0xa540);
    assert_eq!(tiling_control(TILING_CONTROL_T600X, 1), 0xa541);
    assert_eq!(tiling_control(TILING_CONTROL_T602X, 1), 0x18_0341);
}

/// Each limit: the last accepted value passes, the first refused one fails with its error.
#[test]
fn limits() {
    let ok = |g: RenderGeometry| TileInfo::new(&g, 1);
    assert!(ok(geom(16384, 1, 1, 1, (32, 32))).is_ok());
    assert_eq!(
        ok(geom(0, 1080, 1, 1, (32, 32))),
        Err(TilingError::ZeroSize {
            width: 0,
            height: 1080
        })
    );
    assert_eq!(
        ok(geom(1920, 0, 1, 1, (32, 32))),
        Err(TilingError::ZeroSize {
            width: 1920,
            height: 0
        })
    );
    for (w, h) in [(16385, 1), (1, 16385), (u32::MAX, u32::MAX), (65536, 65536)] {
        assert_eq!(
            ok(geom(w, h, 1, 1, (32, 32))),
            Err(TilingError::TooLarge {
                width: w,
                height: h,
                max: 16384
            })
        );
    }
    assert_eq!(ok(geom(64, 64, 0, 1, (32, 32))), Err(TilingError::NoLayers));
    assert!(ok(geom(64, 64, 2048, 1, (32, 32))).is_ok());
    for layers in [2049, u32::MAX] {
        assert_eq!(
            ok(geom(64, 64, layers, 1, (32, 32))),
            Err(TilingError::TooManyLayers { layers, max: 2048 })
        );
    }
    for samples in [0, 3, 5, 8, 16, u32::MAX] {
        assert_eq!(
            ok(geom(64, 64, 1, samples, (32, 32))),
            Err(TilingError::BadSamples { samples })
        );
    }
    for (w, h) in [(16, 32), (8, 8), (0, 0), (64, 64), (32, 8), (u32::MAX, 1)] {
        assert_eq!(
            ok(geom(64, 64, 1, 1, (w, h))),
            Err(TilingError::BadUtileSize {
                width: w,
                height: h
            })
        );
    }
    let g = geom(64, 64, 1, 1, (32, 32));
    assert!(TileInfo::new(&g, 8).is_ok());
    for clusters in [0, 9, u32::MAX] {
        assert_eq!(
            TileInfo::new(&g, clusters),
            Err(TilingError::BadClusters { clusters })
        );
    }
}

/// Every accepted geometry on a coarse grid up to the limits gives consistent values (no
/// overflow, tilemap and TPC cover every macro-tile, the heap minimum within the maximum).
#[test]
fn sweep_is_consistent() {
    for &w in &[1, 31, 32, 33, 1000, 4095, 8192, 16383, 16384] {
        for &h in &[1, 32, 600, 16384] {
            for &layers in &[1, 2, 2048] {
                for &(uw, uh) in &UTILE_SIZES {
                    for &clusters in &[1, 2, 8] {
                        let t = TileInfo::new(&geom(w, h, layers, 4, (uw, uh)), clusters).unwrap();
                        assert!(t.tiles_x * 32 >= w && (t.tiles_x - 1) * 32 < w);
                        assert!(t.tiles_per_mtile_x * 4 >= t.tiles_x);
                        assert_eq!(t.tiles_per_mtile_x % 4, 0);
                        assert!(u64::from(t.rgn_size) * 4 >= u64::from(5 * t.tiles_per_mtile));
                        assert_eq!(t.tilemap_size % u64::from(layers), 0);
                        assert!(t.min_tvb_blocks <= super::super::buffer_mgr::MAX_BLOCKS);
                        assert!(t.min_tvb_blocks >= 8);
                        if clusters == 1 {
                            assert_eq!(t.min_tvb_blocks % 8, 0);
                        } else {
                            assert!(t.min_tvb_blocks >= 7 + 2 * layers);
                        }
                    }
                }
            }
        }
    }
}

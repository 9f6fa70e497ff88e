(* The contextual-mapping lemma for the construction as sparsecert builds it (Construction.v), for
   every n >= 2, d >= 1, delta = 1/m (m >= 2), p, start phase, s >= 1 and Hamiltonian path of a
   pattern with self-attention whose cycle, from the phase where the all-max stage starts, mixes in
   s layers (docs/construction.md, "(b) Contextual mapping", "The all-max multiplier C: a proof",
   "The sentinel: a proof"). Codes are in units of 1/m. *)
From Coq Require Import Arith NArith ZArith List Bool Lia.
From Sparsecert Require Import Sets Index Theory Facts Checkers Refutations Construction Sweep AllMax.
Import ListNotations.

Local Open Scope Z_scope.

(* --- The layers: only identity layers and shift layers in the sweep ------------------------ *)

Definition shift_or_identity (K : Z) (L : layer) : Prop :=
  is_identity L = true \/ exists l V, L = shift_layer l K V.

Lemma wait_identities P fuel phase k j : forall L, In L (fst (wait P fuel phase k j)) -> is_identity L = true.
Proof.
  revert phase; induction fuel as [|f IH]; intros phase L; simpl; [tauto|].
  destruct (has_edge P phase k j); [simpl; tauto|].
  destruct (wait P f (next_phase P phase) k j) as [ls ph] eqn:E. simpl. intros [<-|H]; [reflexivity|].
  apply (IH (next_phase P phase)). now rewrite E.
Qed.

Lemma bucket_shape P k j K V0 : forall count a phase L, In L (fst (sweep_bucket P k j K V0 count a phase)) -> shift_or_identity K L.
Proof.
  induction count as [|c IH]; intros a phase L; simpl; [tauto|].
  pose proof (wait_identities P (p P) phase k j) as W.
  destruct (wait P (p P) phase k j) as [ids ph]. simpl in W.
  specialize (IH (a + 1) (next_phase P ph)).
  destruct (sweep_bucket P k j K V0 c (a + 1) (next_phase P ph)) as [rest ph']. simpl in *.
  intro H. apply in_app_or in H as [H|[<-|H]].
  - left; auto.
  - right; eauto.
  - auto.
Qed.

Lemma positions_shape P m cd K : forall g i prev phase L, In L (fst (sweep_positions P m cd K g i prev phase)) -> shift_or_identity K L.
Proof.
  induction g as [|k g IH]; intros i prev phase L; simpl; [tauto|].
  pose proof (bucket_shape P k prev K (m * Z.of_nat i * cd) (Z.to_nat K) 0 phase) as B.
  destruct (sweep_bucket P k prev K (m * Z.of_nat i * cd) (Z.to_nat K) 0 phase) as [ls ph].
  specialize (IH (Datatypes.S i) k ph).
  destruct (sweep_positions P m cd K g (Datatypes.S i) k ph) as [rest ph']. simpl in *.
  intro H. apply in_app_or in H as [H|H]; auto.
Qed.

Lemma sweep_shape P m d gamma phase L : In L (fst (sweep P m d gamma phase)) -> shift_or_identity (K_of m d) L.
Proof. unfold sweep. destruct gamma; [simpl; tauto|]. apply positions_shape. Qed.

(* The sweep never lowers an id (any input): a shift layer adds K (max - min) >= 0 or nothing. *)
Lemma sweep_monotone P K A : 0 <= K -> (forall L, In L A -> shift_or_identity K L) ->
  forall X, length X = N.to_nat (n P) -> forall k, (k < n P)%N -> Xof X k <= Xof (run P A X) k.
Proof.
  intros HK. induction A as [|L A IH]; intros HA X HX k Hk; [simpl; lia|].
  rewrite run_cons. destruct (HA L (or_introl eq_refl)) as [HI|[l [V ->]]].
  - destruct L; [|discriminate]. apply IH; auto. intros; apply HA; now right.
  - eapply Z.le_trans; [|apply IH; [intros; apply HA; now right|apply eval_length, HX|exact Hk]].
    unfold shift_layer. rewrite eval_attention, shift_column by exact Hk.
    destruct (Z.eqb_spec (Xof X k) V); [|lia].
    destruct (attended_ids P l X k) as [|y ys] eqn:E; [simpl; lia|].
    assert (zmin (y :: ys) <= zmax (y :: ys)) by (apply zmin_le_zmax; discriminate). nia.
Qed.

(* --- Padding ------------------------------------------------------------------------------ *)

Lemma pad_spec P : (1 <= p P)%nat -> forall fuel phase, (phase < p P)%nat ->
  (forall L, In L (fst (pad P fuel phase)) -> is_identity L = true) /\ (snd (pad P fuel phase) < p P)%nat /\
  (length (fst (pad P fuel phase)) <= fuel)%nat.
Proof.
  intros Hp fuel; induction fuel as [|f IH]; intros phase Hph; simpl.
  { split; [intros L []|split; [exact Hph|simpl; lia]]. }
  destruct (Nat.eqb phase 0).
  { split; [intros L []|split; [exact Hph|simpl; lia]]. }
  destruct (IH (next_phase P phase) (next_phase_lt P phase Hp)) as [H1 [H2 H3]].
  destruct (pad P f (next_phase P phase)) as [ls ph]. simpl in *. repeat split; auto; [|lia].
  intros L [<-|HL]; auto.
Qed.

(* --- The lemma ------------------------------------------------------------------------------ *)

Section ContextualMapping.
Variables (P : pattern) (o : options) (gamma : list N).
Hypothesis Hw : WellFormed P.
Hypothesis Hself : SelfAttention P.
Hypothesis Hg : HamiltonianPath P gamma.
Hypothesis Hm : 2 <= opt_m o.
Hypothesis Hd : (1 <= opt_d o)%nat.
Hypothesis Hphase : (opt_phase o < p P)%nat.
Hypothesis Hn : (2 <= N.to_nat (n P))%nat.
Hypothesis Hcomplete : CompleteFrom P (all_max_phase P o gamma) (opt_s o).

Let m := opt_m o.
Let d := opt_d o.
Let s := opt_s o.
Let N0 := N.to_nat (n P).
Let K := K_of m d.
Let C := C_of m d N0 s.
Let phase1 := all_max_phase P o gamma.

Lemma Hp : (1 <= p P)%nat.
Proof. now destruct Hw. Qed.

Let pos (k : N) : nat := index_of k gamma.
Let sw := fst (sweep P m d gamma (opt_phase o)).

Definition zero_input : list Z := repeat 0 N0.

Lemma zero_valid : valid_codes P m d zero_input.
Proof.
  split; [apply repeat_length|]. intros k Hk. unfold Xof, zero_input. rewrite nth_repeat.
  pose proof (K_ge m d Hm Hd). fold K. lia.
Qed.

Lemma sweep_end : (snd (sweep P m d gamma (opt_phase o)) < p P)%nat.
Proof. exact (proj2 (sweep_spec P gamma m d Hw Hself Hg Hm Hd zero_input zero_valid (opt_phase o) Hn Hphase)). Qed.

Lemma phase1_lt : (phase1 < p P)%nat.
Proof.
  unfold phase1, all_max_phase, sweep_layers. fold m d. pose proof sweep_end.
  destruct (opt_pad o); [|exact H]. exact (proj1 (proj2 (pad_spec P Hp (p P) _ H))).
Qed.

Lemma network_eq : network P o gamma = sw ++ padding_layers P o gamma ++ all_max P C s phase1.
Proof.
  unfold network, padding_layers, phase1, sw, C, s, N0, m, d. unfold sweep_layers.
  destruct (sweep P (opt_m o) (opt_d o) gamma (opt_phase o)) as [l ph]. reflexivity.
Qed.

Lemma run_network X : run P (network P o gamma) X = run P (all_max P C s phase1) (run P sw X).
Proof.
  rewrite network_eq, !run_app. f_equal. apply run_identities. intros L HL. unfold padding_layers in HL.
  destruct (opt_pad o); [|destruct HL]. unfold sweep_layers in HL. fold m d in HL.
  exact (proj1 (pad_spec P Hp (p P) _ sweep_end) L HL).
Qed.

Section Valid.
Variable a : list Z.
Hypothesis Ha : valid_codes P m d a.

Let x := xs P gamma m d a.
Let Y := run P sw (initial P o gamma a).

Lemma after_sweep : agrees P Y (fun k => x (pos k)).
Proof.
  pose proof (sweep_spec P gamma m d Hw Hself Hg Hm Hd a Ha (opt_phase o) Hn Hphase) as [H _].
  exact H.
Qed.

Lemma Y_value k : (k < n P)%N -> Xof Y k = x (pos k).
Proof. apply after_sweep. Qed.

Lemma Y_range k : (k < n P)%N -> 1 <= Xof Y k <= X_high m d N0.
Proof.
  intro Hk. rewrite Y_value by exact Hk.
  assert (H1 : (pos k < N0)%nat) by exact (proj1 (pos_spec P gamma Hg k Hk)).
  assert (T : m * Z.of_nat N0 * cd_of m d <= x (pos k)) by exact (x_top P gamma m d Hg Hm Hd a Ha _ H1).
  assert (Mo : x (pos k) <= x (N0 - 1)) by exact (x_mono P gamma m d Hg Hm Hd a Ha (pos k) (N0 - 1) ltac:(lia) ltac:(unfold N0 in *; lia)).
  assert (U : x (N0 - 1) <= X_high m d N0) by exact (proj2 (last_id_bounds P gamma m d Hg Hd a Ha ltac:(unfold N0 in *; lia))).
  assert (1 <= m * Z.of_nat N0 * cd_of m d).
  { pose proof (mcd_ge_K m d Hm Hd). pose proof (K_ge m d Hm Hd). unfold N0 in *. nia. }
  lia.
Qed.

End Valid.

Lemma X_high_pos : 1 <= X_high m d N0.
Proof.
  assert (Hk : (0 < n P)%N) by (unfold N0 in *; lia).
  pose proof (Y_range zero_input zero_valid 0%N Hk). lia.
Qed.

Lemma HCbound : binom s (Nat.div s 2) * X_high m d N0 < C.
Proof. unfold C, C_of. fold s N0. lia. Qed.

Lemma HC2' : 2 <= C.
Proof. pose proof (binom_central s 0). rewrite binom_0 in H. pose proof X_high_pos. pose proof HCbound. nia. Qed.

(* The code of column k: base-C digits, digit 0 the column's own shifted id x_{pos k}, digit s the
   last one x_{n-1} (every column's all-max chain reaches path[n-1], which holds the largest id). *)
Lemma code_digits a : valid_codes P m d a -> forall k, (k < n P)%N ->
  exists ds, length ds = Datatypes.S s /\ Xof (codes P o gamma a) k = dval C ds /\
    (forall r, 0 <= nth r ds 0 <= C - 1) /\
    nth 0 ds 0 = xs P gamma m d a (pos k) /\ nth s ds 0 = xs P gamma m d a (N0 - 1).
Proof.
  intros Ha k Hk.
  set (Y := run P sw (initial P o gamma a)).
  assert (HYl : length Y = N.to_nat (n P)) by exact (proj1 (after_sweep a Ha)).
  assert (HY := Y_range a Ha). fold Y in HY.
  destruct (digits P phase1 C s Y (X_high m d N0) Hw Hself phase1_lt HCbound HYl HY X_high_pos s (le_n s) k Hk)
    as [ds [L [V [D [F T]]]]].
  cbv beta in V. exists ds. split; [exact L|split; [|split; [|split]]].
  - unfold codes. rewrite run_network. exact V.
  - intro r. specialize (D r). pose proof (binom_le_central s r s (le_n s)). pose proof HCbound.
    pose proof X_high_pos. nia.
  - rewrite F. apply Y_value; auto.
  - rewrite T. unfold Y in *.
    destruct (M_max P phase1 _ Hw Hself phase1_lt HYl s k Hk) as [U [j [Hj [Hs Ej]]]].
    assert (Hlast : (N0 - 1 < N0)%nat) by (unfold N0 in *; lia).
    assert (Hgl : (nth (N0 - 1) gamma 0%N < n P)%N) by exact (g_token P gamma Hg _ Hlast).
    specialize (U _ (Hcomplete k _ Hk Hgl)). rewrite (Y_value a Ha _ Hgl) in U.
    assert (Hpg : pos (nth (N0 - 1) gamma 0%N) = (N0 - 1)%nat) by exact (pos_g P gamma Hg _ Hlast).
    rewrite Hpg in U. rewrite <- Ej, (Y_value a Ha j Hj).
    assert (Hpj : (pos j < N0)%nat) by exact (proj1 (pos_spec P gamma Hg j Hj)).
    pose proof (x_mono P gamma m d Hg Hm Hd a Ha (pos j) (N0 - 1) ltac:(lia) Hlast).
    rewrite <- Ej, (Y_value a Ha j Hj) in U. lia.
Qed.

Lemma code_top a : valid_codes P m d a -> forall k, (k < n P)%N ->
  xs P gamma m d a (N0 - 1) * C ^ Z.of_nat s <= Xof (codes P o gamma a) k <=
  xs P gamma m d a (N0 - 1) * C ^ Z.of_nat s + C ^ Z.of_nat s - 1.
Proof.
  intros Ha k Hk. destruct (code_digits a Ha k Hk) as [ds [L [V [D [_ T]]]]]. rewrite V, <- T.
  exact (dval_bounds C HC2' s ds L D).
Qed.

Lemma code_low a : valid_codes P m d a -> forall k, (k < n P)%N ->
  Xof (codes P o gamma a) k mod C = xs P gamma m d a (pos k).
Proof.
  intros Ha k Hk. destruct (code_digits a Ha k Hk) as [ds [L [V [D [F _]]]]]. rewrite V, <- F.
  exact (dval_digit0 C ds HC2' D).
Qed.

(* (a) Codes are distinct within an input and across inputs. *)
Theorem codes_injective a a' k k' : valid_codes P m d a -> valid_codes P m d a' -> (k < n P)%N -> (k' < n P)%N ->
  Xof (codes P o gamma a) k = Xof (codes P o gamma a') k' -> a = a' /\ k = k'.
Proof.
  intros Ha Ha' Hk Hk' E.
  assert (Top : xs P gamma m d a (N0 - 1) = xs P gamma m d a' (N0 - 1)).
  { pose proof (code_top a Ha k Hk). pose proof (code_top a' Ha' k' Hk').
    assert (0 < C ^ Z.of_nat s) by (apply Z.pow_pos_nonneg; pose proof HC2'; lia).
    destruct (Z.lt_trichotomy (xs P gamma m d a (N0 - 1)) (xs P gamma m d a' (N0 - 1))) as [Hl|[He|Hl]]; [|exact He|]; nia. }
  assert (Ea : a = a') by exact (sweep_injective P gamma m d Hg Hm Hd a a' Ha Ha' ltac:(unfold N0 in *; lia) Top).
  subst a'. split; [reflexivity|].
  pose proof (code_low a Ha k Hk) as L1. pose proof (code_low a Ha k' Hk') as L2. rewrite E in L1. rewrite L1 in L2.
  assert (Hp1 : (pos k < N0)%nat) by exact (proj1 (pos_spec P gamma Hg k Hk)).
  assert (Hp2 : (pos k' < N0)%nat) by exact (proj1 (pos_spec P gamma Hg k' Hk')).
  assert (Ep : pos k = pos k').
  { destruct (Nat.lt_trichotomy (pos k) (pos k')) as [Hl|[He|Hl]]; [|exact He|].
    - pose proof (x_strict P gamma m d Hg Hm Hd a Ha _ _ Hl Hp2). lia.
    - pose proof (x_strict P gamma m d Hg Hm Hd a Ha _ _ Hl Hp1). lia. }
  assert (G1 : nth (pos k) gamma 0%N = k) by exact (proj2 (pos_spec P gamma Hg k Hk)).
  assert (G2 : nth (pos k') gamma 0%N = k') by exact (proj2 (pos_spec P gamma Hg k' Hk')).
  rewrite <- G1, <- G2, Ep. reflexivity.
Qed.

(* The gap: codes are integers in units of 1/m, so two codes of different (input, column) pairs are
   at least 1/m = delta apart. *)
Corollary codes_gap a a' k k' : valid_codes P m d a -> valid_codes P m d a' -> (k < n P)%N -> (k' < n P)%N ->
  ~ (a = a' /\ k = k') -> 1 <= Z.abs (Xof (codes P o gamma a) k - Xof (codes P o gamma a') k').
Proof.
  intros Ha Ha' Hk Hk' Hne. destruct (Z.eq_dec (Xof (codes P o gamma a) k) (Xof (codes P o gamma a') k')) as [E|E].
  - exfalso. apply Hne. exact (codes_injective a a' k k' Ha Ha' Hk Hk' E).
  - lia.
Qed.

(* (b) Valid codes lie in [t_l, t_r]. *)
Theorem codes_interval a k : valid_codes P m d a -> (k < n P)%N ->
  t_low m d N0 s <= Xof (codes P o gamma a) k <= t_high m d N0 s.
Proof.
  intros Ha Hk. split.
  - pose proof (code_top a Ha k Hk) as [L _].
    pose proof (last_id_bounds P gamma m d Hg Hd a Ha ltac:(unfold N0 in *; lia)) as [B _]. fold N0 in B.
    assert (0 < C ^ Z.of_nat s) by (apply Z.pow_pos_nonneg; pose proof HC2'; lia).
    unfold t_low. fold C. nia.
  - set (Y := run P sw (initial P o gamma a)).
    assert (HYl : length Y = N.to_nat (n P)) by exact (proj1 (after_sweep a Ha)).
    assert (HY := Y_range a Ha). fold Y in HY.
    pose proof (Zs_range P phase1 C s Y (X_high m d N0) Hw Hself phase1_lt HCbound HYl HY X_high_pos s k Hk) as [_ U].
    cbv beta in U. unfold codes. rewrite run_network. unfold t_high. fold C. exact U.
Qed.

(* (c) Every code of an input carrying the sentinel (all ids at least 1, one at least m S) is above t_r. *)
Theorem codes_sentinel X : length X = N0 -> (forall k, (k < n P)%N -> 1 <= Xof X k) ->
  (exists j, (j < n P)%N /\ m * sentinel m d N0 s <= Xof X j) ->
  forall k, (k < n P)%N -> t_high m d N0 s < Xof (run P (network P o gamma) X) k.
Proof.
  intros HXl HX [j [Hj HS]] k Hk. rewrite run_network.
  set (Y := run P sw X).
  assert (HYl : length Y = N.to_nat (n P)) by (apply run_length, HXl).
  assert (Mono : forall i, (i < n P)%N -> Xof X i <= Xof Y i).
  { intros i Hi. apply (sweep_monotone P K); [pose proof (K_ge m d Hm Hd); unfold K; lia| |exact HXl|exact Hi].
    intros L HL. exact (sweep_shape P m d gamma (opt_phase o) L HL). }
  assert (HY : forall i, (i < n P)%N -> 1 <= Xof Y i) by (intros i Hi; specialize (Mono i Hi); specialize (HX i Hi); lia).
  pose proof (Zs_grows P phase1 C Y Hw Hself phase1_lt HC2' HYl HY s k j Hk (Hcomplete k j Hk Hj)) as G.
  cbv beta in G. specialize (Mono j Hj).
  (* S > t_r / (m C^s) *)
  assert (Cs : 0 < C ^ Z.of_nat s) by (apply Z.pow_pos_nonneg; pose proof HC2'; lia).
  assert (HmCs : 0 < m * C ^ Z.of_nat s) by nia.
  assert (Sb : t_high m d N0 s / (m * C ^ Z.of_nat s) + 1 <= sentinel m d N0 s) by (unfold sentinel; fold C; lia).
  assert (Dv : t_high m d N0 s < (m * C ^ Z.of_nat s) * (t_high m d N0 s / (m * C ^ Z.of_nat s) + 1)).
  { pose proof (Z.mul_div_le (t_high m d N0 s) (m * C ^ Z.of_nat s) HmCs).
    pose proof (Z.mod_pos_bound (t_high m d N0 s) (m * C ^ Z.of_nat s) HmCs).
    pose proof (Z.div_mod (t_high m d N0 s) (m * C ^ Z.of_nat s) ltac:(lia)). nia. }
  nia.
Qed.

End ContextualMapping.

(* --- The lemma in one statement ------------------------------------------------------------ *)

Theorem contextual_mapping (P : pattern) (o : options) (gamma : list N) :
  WellFormed P -> SelfAttention P -> HamiltonianPath P gamma ->
  2 <= opt_m o -> (1 <= opt_d o)%nat -> (opt_phase o < p P)%nat -> (2 <= N.to_nat (n P))%nat ->
  CompleteFrom P (all_max_phase P o gamma) (opt_s o) ->
  let m := opt_m o in let d := opt_d o in let s := opt_s o in let N0 := N.to_nat (n P) in
  (* distinct within an input and across inputs *)
  (forall a a' k k', valid_codes P m d a -> valid_codes P m d a' -> (k < n P)%N -> (k' < n P)%N ->
     Xof (codes P o gamma a) k = Xof (codes P o gamma a') k' -> a = a' /\ k = k') /\
  (* at least delta apart (codes are in units of 1/m) *)
  (forall a a' k k', valid_codes P m d a -> valid_codes P m d a' -> (k < n P)%N -> (k' < n P)%N ->
     ~ (a = a' /\ k = k') -> 1 <= Z.abs (Xof (codes P o gamma a) k - Xof (codes P o gamma a') k')) /\
  (* in [t_l, t_r] *)
  (forall a k, valid_codes P m d a -> (k < n P)%N -> t_low m d N0 s <= Xof (codes P o gamma a) k <= t_high m d N0 s) /\
  (* every code of an input carrying the sentinel above t_r *)
  (forall X, length X = N0 -> (forall k, (k < n P)%N -> 1 <= Xof X k) ->
     (exists j, (j < n P)%N /\ m * sentinel m d N0 s <= Xof X j) ->
     forall k, (k < n P)%N -> t_high m d N0 s < Xof (run P (network P o gamma) X) k).
Proof.
  intros Hw Hself Hg Hm Hd Hphase Hn Hc. cbv zeta. split; [|split; [|split]].
  - intros a a' k k'. apply (codes_injective P o gamma Hw Hself Hg Hm Hd Hphase Hn Hc).
  - intros a a' k k'. apply (codes_gap P o gamma Hw Hself Hg Hm Hd Hphase Hn Hc).
  - intros a k. apply (codes_interval P o gamma Hw Hself Hg Hm Hd Hphase Hn Hc).
  - apply (codes_sentinel P o gamma Hw Hself Hg Hm Hd Hphase Hn Hc).
Qed.

(* --- A grid column and its code: u . L_k in units of 1/m is a base-m number ------------------ *)

Fixpoint grid_code (m : Z) (digits : list Z) : Z := match digits with [] => 0 | x :: r => x + m * grid_code m r end.

(* The d entries of a grid column (times m, so integers in [0, m)) give one code in [0, m^d), and
   different columns give different codes: the inputs of the lemma are exactly the grid inputs. *)
Lemma grid_code_range m ds : 2 <= m -> (forall x, In x ds -> 0 <= x < m) ->
  0 <= grid_code m ds < m ^ Z.of_nat (length ds).
Proof.
  intro Hm. induction ds as [|x ds IH]; intro H; cbn [grid_code length]; [simpl; lia|].
  destruct (IH (fun y Hy => H y (or_intror Hy))). specialize (H x (or_introl eq_refl)).
  rewrite Nat2Z.inj_succ, Z.pow_succ_r by lia. nia.
Qed.

Lemma grid_code_injective m ds ds' : 2 <= m -> length ds = length ds' ->
  (forall x, In x ds -> 0 <= x < m) -> (forall x, In x ds' -> 0 <= x < m) -> grid_code m ds = grid_code m ds' -> ds = ds'.
Proof.
  intro Hm. revert ds'. induction ds as [|x ds IH]; intros [|y ds'] L H H' E; simpl in *; try lia; auto.
  pose proof (grid_code_range m ds Hm (fun z Hz => H z (or_intror Hz))).
  pose proof (grid_code_range m ds' Hm (fun z Hz => H' z (or_intror Hz))).
  pose proof (H x (or_introl eq_refl)) as Hx; pose proof (H' y (or_introl eq_refl)) as Hy.
  destruct (small_div_unique m (grid_code m ds) x (grid_code m ds') y ltac:(lia) Hx Hy ltac:(lia)) as [E1 E2].
  subst y. f_equal. apply IH; auto.
Qed.

(* --- The layer counts ------------------------------------------------------------------------ *)

Definition shifts (Ls : list layer) : nat := length (filter (fun L => negb (is_identity L)) Ls).

Section Counts.
Variables (P : pattern) (gamma : list N) (m : Z) (d : nat).
Hypothesis Hw : WellFormed P.
Hypothesis Hg : HamiltonianPath P gamma.
Hypothesis Hd : (1 <= d)%nat.
Let N0 := N.to_nat (n P).
Let K := K_of m d.
Let cd := cd_of m d.
Let g (i : nat) : N := nth i gamma 0%N.

Lemma shifts_app A B : shifts (A ++ B) = (shifts A + shifts B)%nat.
Proof. unfold shifts. now rewrite filter_app, app_length. Qed.

Lemma shifts_identities A : (forall L, In L A -> is_identity L = true) -> shifts A = O.
Proof.
  unfold shifts. induction A as [|L A IH]; intro H; [reflexivity|]. simpl.
  rewrite (H L (or_introl eq_refl)). simpl. apply IH. intros; apply H; now right.
Qed.

(* One bucket: exactly count shift layers, each after at most p - 1 identity layers. *)
Lemma bucket_counts i : (1 <= i < N0)%nat -> forall count a phase, (phase < p P)%nat ->
  shifts (fst (sweep_bucket P (g i) (g (i - 1)) K (m * Z.of_nat i * cd) count a phase)) = count /\
  (length (fst (sweep_bucket P (g i) (g (i - 1)) K (m * Z.of_nat i * cd) count a phase)) <= p P * count)%nat /\
  (snd (sweep_bucket P (g i) (g (i - 1)) K (m * Z.of_nat i * cd) count a phase) < p P)%nat.
Proof.
  intros Hi. destruct (edge_at P gamma m d Hg Hd i Hi) as [l [Hl He]]. pose proof (Hp1' := proj1 Hw).
  induction count as [|c IH]; intros a phase Hph; simpl; [split; [reflexivity|split; [lia|exact Hph]]|].
  destruct (wait_spec P (g i) (g (i - 1)) l Hl He (p P) phase Hph (dist_lt P phase l Hph Hl)) as [W1 [W2 [W3 W4]]].
  destruct (wait P (p P) phase (g i) (g (i - 1))) as [ids ph]. cbn [fst snd] in *.
  destruct (IH (a + 1) (next_phase P ph) (next_phase_lt P ph Hp1')) as [C1 [C2 C3]].
  destruct (sweep_bucket P (g i) (g (i - 1)) K (m * Z.of_nat i * cd) c (a + 1) (next_phase P ph)) as [rest ph'].
  cbn [fst snd] in *. rewrite shifts_app, shifts_identities by exact W1.
  unfold shifts in *. simpl. rewrite app_length. simpl. pose proof (dist_lt P phase l Hph Hl).
  split; [lia|split; [nia|exact C3]].
Qed.

Lemma positions_counts : forall r i phase, (1 <= i)%nat -> (i + r = N0)%nat -> (phase < p P)%nat ->
  shifts (fst (sweep_positions P m cd K (skipn i gamma) i (g (i - 1)) phase)) = (r * Z.to_nat K)%nat /\
  (length (fst (sweep_positions P m cd K (skipn i gamma) i (g (i - 1)) phase)) <= p P * (r * Z.to_nat K))%nat /\
  (snd (sweep_positions P m cd K (skipn i gamma) i (g (i - 1)) phase) < p P)%nat.
Proof.
  induction r as [|r IH]; intros i phase Hi Hr Hph.
  - replace i with N0 in * by lia. rewrite skipn_all2 by (rewrite (len_gamma P gamma Hg); lia). simpl.
    split; [reflexivity|split; [lia|exact Hph]].
  - rewrite (skipn_nth_cons gamma 0%N i) by (rewrite (len_gamma P gamma Hg); lia). cbn [sweep_positions].
    destruct (bucket_counts i ltac:(lia) (Z.to_nat K) 0 phase Hph) as [B1 [B2 B3]].
    fold (g i).
    destruct (sweep_bucket P (g i) (g (i - 1)) K (m * Z.of_nat i * cd) (Z.to_nat K) 0 phase) as [ls ph]. cbn [fst snd] in *.
    destruct (IH (Datatypes.S i) ph ltac:(lia) ltac:(lia) B3) as [R1 [R2 R3]].
    replace (Datatypes.S i - 1)%nat with i in * by lia.
    destruct (sweep_positions P m cd K (skipn (Datatypes.S i) gamma) (Datatypes.S i) (g i) ph) as [rest ph']. cbn [fst snd] in *.
    rewrite shifts_app, app_length. split; [lia|split; [nia|exact R3]].
Qed.

(* The sweep: (n - 1) m^d shift layers and at most p (n - 1) m^d layers in all. *)
Theorem sweep_counts phase : (2 <= N0)%nat -> (phase < p P)%nat ->
  shifts (fst (sweep P m d gamma phase)) = ((N0 - 1) * Z.to_nat K)%nat /\
  (length (fst (sweep P m d gamma phase)) <= p P * ((N0 - 1) * Z.to_nat K))%nat.
Proof.
  intros Hn Hph.
  assert (Eg : gamma = g 0 :: skipn 1 gamma) by (apply (skipn_nth_cons gamma 0%N 0); rewrite (len_gamma P gamma Hg); lia).
  assert (Hsw : sweep P m d gamma phase = sweep_positions P m cd K (skipn 1 gamma) 1 (g (1 - 1)) phase).
  { unfold sweep. rewrite Eg at 1. reflexivity. }
  rewrite Hsw. destruct (positions_counts (N0 - 1) 1 phase ltac:(lia) ltac:(lia) Hph) as [A [B _]]. auto.
Qed.

End Counts.

Lemma pad_length P : (1 <= p P)%nat -> forall fuel phase, (phase < p P)%nat -> (length (fst (pad P fuel phase)) <= p P - 1)%nat.
Proof.
  intros Hp fuel. assert (G : forall phase, (phase < p P)%nat -> (0 < phase)%nat -> (length (fst (pad P fuel phase)) <= p P - phase)%nat).
  { induction fuel as [|f IH]; intros phase Hph Hpos; simpl; [lia|].
    destruct (Nat.eqb_spec phase 0); [lia|].
    pose proof (next_phase_val P phase Hph) as E.
    destruct (pad P f (next_phase P phase)) as [ls ph] eqn:Ep. simpl.
    destruct (Nat.ltb_spec (Datatypes.S phase) (p P)).
    - specialize (IH (next_phase P phase) ltac:(lia) ltac:(lia)). rewrite Ep in IH. simpl in IH. lia.
    - rewrite E in Ep. destruct f; simpl in Ep; injection Ep as <- _; simpl; lia. }
  intros phase Hph. destruct fuel as [|f]; simpl; [lia|]. destruct (Nat.eqb_spec phase 0); [simpl; lia|].
  assert (H := G phase Hph ltac:(lia)). simpl in H. destruct (Nat.eqb_spec phase 0); [lia|]. lia.
Qed.

Lemma all_max_length P C : forall t phase, length (all_max P C t phase) = t.
Proof. induction t as [|t IH]; intros phase; simpl; auto. Qed.

(* --- The completeness hypothesis from the checker of Checkers.v ------------------------------ *)

(* The cycle started at pattern phase, as a pattern of its own. *)
Definition rotate (P : pattern) (phase : nat) : pattern :=
  {| n := n P; layers := skipn phase (layers P) ++ firstn phase (layers P); extra := extra P |}.

Lemma nth_skipn' {A} (L : list A) d : forall k l, nth l (skipn k L) d = nth (k + l) L d.
Proof. induction L as [|x L IH]; intros [|k] l; simpl; auto; destruct l; reflexivity. Qed.

Lemma nth_firstn' {A} (L : list A) d : forall k l, (l < k)%nat -> nth l (firstn k L) d = nth l L d.
Proof. induction L as [|x L IH]; intros [|k] [|l] H; simpl; auto; try lia. apply IH. lia. Qed.

Lemma rotate_p P phase : (phase <= p P)%nat -> p (rotate P phase) = p P.
Proof.
  intro H. unfold rotate, p; simpl. rewrite app_length, skipn_length, firstn_length. unfold p in H. lia.
Qed.

Lemma rotate_nth P phase l : (phase < p P)%nat -> (l < p P)%nat ->
  nth l (layers (rotate P phase)) [] = nth (Nat.modulo (phase + l) (p P)) (layers P) [].
Proof.
  intros Hph Hl. unfold rotate; simpl. unfold p in *.
  destruct (Nat.lt_ge_cases (phase + l) (length (layers P))) as [H|H].
  - rewrite app_nth1 by (rewrite skipn_length; lia). rewrite nth_skipn', Nat.mod_small by lia. reflexivity.
  - rewrite app_nth2 by (rewrite skipn_length; lia). rewrite skipn_length, nth_firstn' by lia.
    replace (Nat.modulo (phase + l) (length (layers P))) with (phase + l - length (layers P))%nat; [f_equal; lia|].
    apply Nat.mod_unique with 1%nat; lia.
Qed.

Lemma Sset_rotate P phase : (phase < p P)%nat -> forall t k j, Sset (rotate P phase) t k j -> Sfrom P phase t k j.
Proof.
  intros Hph t. induction t as [|t IH]; intros k j; simpl; [auto|].
  intros [i [Hi Hs]]. exists i. split; [|apply IH, Hs].
  unfold attends, row in *. unfold pattern_of_layer in Hi. rewrite rotate_p in Hi by lia.
  replace (Datatypes.S t - 1)%nat with t in Hi by lia.
  rewrite rotate_nth in Hi by (try lia; apply Nat.mod_upper_bound; lia).
  rewrite Nat.add_mod_idemp_r in Hi by lia. exact Hi.
Qed.

Theorem complete_from_rotate P phase s : (phase < p P)%nat -> Complete (rotate P phase) s -> CompleteFrom P phase s.
Proof. intros Hph Hc k j Hk Hj. apply Sset_rotate; auto. Qed.

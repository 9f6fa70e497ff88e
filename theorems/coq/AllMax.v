(* The all-max stage of Construction.v, proven for every n, p, s and C: the base-C digit lemma of
   docs/construction.md ("The all-max multiplier C: a proof"), the bounds of the codes, and the
   growth that puts every input carrying the sentinel above t_r. *)
From Coq Require Import Arith NArith ZArith List Bool Lia.
From Sparsecert Require Import Sets Index Theory Facts Checkers Refutations Construction Sweep.
Import ListNotations.

Local Open Scope Z_scope.

(* --- Binomial coefficients: the central one is the largest, and grows with t ------------ *)

Lemma binom_nonneg t r : 0 <= binom t r.
Proof.
  revert r; induction t as [|t IH]; intros [|r]; simpl; try lia.
  pose proof (IH r); pose proof (IH (Datatypes.S r)); lia.
Qed.

Lemma binom_over t r : (t < r)%nat -> binom t r = 0.
Proof.
  revert r; induction t as [|t IH]; intros [|r] H; simpl; try lia.
  rewrite !IH by lia. reflexivity.
Qed.

Lemma binom_0 t : binom t 0 = 1.
Proof. destruct t; reflexivity. Qed.

Lemma binom_1 t : binom t 1 = Z.of_nat t.
Proof. induction t as [|t IH]; [reflexivity|]. simpl. rewrite binom_0. simpl in IH. lia. Qed.

(* Absorption: (r + 1) binom(t + 1, r + 1) = (t + 1) binom(t, r). *)
Lemma binom_absorb t : forall r, Z.of_nat (Datatypes.S r) * binom (Datatypes.S t) (Datatypes.S r) = Z.of_nat (Datatypes.S t) * binom t r.
Proof.
  induction t as [|t IH]; intros r.
  - destruct r as [|[|r]]; cbn [binom]; ring.
  - destruct r as [|r].
    + change (binom (Datatypes.S (Datatypes.S t)) 1) with (binom (Datatypes.S t) 0 + binom (Datatypes.S t) 1).
      rewrite binom_0, binom_1. lia.
    + change (binom (Datatypes.S (Datatypes.S t)) (Datatypes.S (Datatypes.S r)))
        with (binom (Datatypes.S t) (Datatypes.S r) + binom (Datatypes.S t) (Datatypes.S (Datatypes.S r))).
      change (binom (Datatypes.S t) (Datatypes.S r)) with (binom t r + binom t (Datatypes.S r)) at 2.
      pose proof (IH r) as H1. pose proof (IH (Datatypes.S r)) as H2.
      change (binom (Datatypes.S t) (Datatypes.S r)) with (binom t r + binom t (Datatypes.S r)) in H1 |- *.
      rewrite !Nat2Z.inj_succ in *. nia.
Qed.

(* The ratio of neighbours: (r + 1) binom(t, r + 1) = (t - r) binom(t, r). *)
Lemma binom_ratio t r : (r <= t)%nat -> Z.of_nat (Datatypes.S r) * binom t (Datatypes.S r) = (Z.of_nat t - Z.of_nat r) * binom t r.
Proof.
  intro H. destruct t as [|t].
  - replace r with O by lia. reflexivity.
  - rewrite binom_absorb. destruct r as [|r].
    + rewrite binom_0. simpl. lia.
    + pose proof (binom_absorb t r) as A.
      change (binom (Datatypes.S t) (Datatypes.S r)) with (binom t r + binom t (Datatypes.S r)) in A |- *.
      rewrite !Nat2Z.inj_succ in *. nia.
Qed.

Lemma binom_up t r : (2 * r + 1 <= t)%nat -> binom t r <= binom t (Datatypes.S r).
Proof.
  intro H. pose proof (binom_ratio t r ltac:(lia)) as E. pose proof (binom_nonneg t r).
  apply (Z.mul_le_mono_pos_l _ _ (Z.of_nat (Datatypes.S r))); [lia|]. rewrite E.
  apply Z.mul_le_mono_nonneg_r; lia.
Qed.

Lemma binom_down t r : (t <= 2 * r + 1)%nat -> (r <= t)%nat -> binom t (Datatypes.S r) <= binom t r.
Proof.
  intros H1 H2. pose proof (binom_ratio t r H2) as E. pose proof (binom_nonneg t r).
  apply (Z.mul_le_mono_pos_l _ _ (Z.of_nat (Datatypes.S r))); [lia|]. rewrite E.
  apply Z.mul_le_mono_nonneg_r; lia.
Qed.

Lemma binom_central t r : binom t r <= binom t (Nat.div t 2).
Proof.
  pose proof (Nat.div_mod t 2 ltac:(lia)) as Ed. pose proof (Nat.mod_upper_bound t 2 ltac:(lia)) as Em.
  set (h := Nat.div t 2) in *.
  destruct (Nat.le_gt_cases r h) as [Hr|Hr].
  - (* climbing from r to h *)
    assert (G : forall e, (r + e <= h)%nat -> binom t r <= binom t (r + e)).
    { induction e as [|e IH]; intro He; [rewrite Nat.add_0_r; lia|].
      eapply Z.le_trans; [apply IH; lia|]. replace (r + Datatypes.S e)%nat with (Datatypes.S (r + e)) by lia.
      apply binom_up. lia. }
    replace h with (r + (h - r))%nat by lia. apply G. lia.
  - destruct (Nat.le_gt_cases r t) as [Hrt|Hrt]; [|rewrite binom_over by lia; apply binom_nonneg].
    assert (G : forall e, (h + e <= t)%nat -> binom t (h + e) <= binom t h).
    { induction e as [|e IH]; intro He; [rewrite Nat.add_0_r; lia|].
      eapply Z.le_trans; [|apply IH; lia]. replace (h + Datatypes.S e)%nat with (Datatypes.S (h + e)) by lia.
      apply binom_down; lia. }
    replace r with (h + (r - h))%nat by lia. apply G. lia.
Qed.

Lemma binom_central_grows t : binom t (Nat.div t 2) <= binom (Datatypes.S t) (Nat.div (Datatypes.S t) 2).
Proof.
  pose proof (Nat.div_mod t 2 ltac:(lia)) as E1. pose proof (Nat.mod_upper_bound t 2 ltac:(lia)).
  pose proof (Nat.div_mod (Datatypes.S t) 2 ltac:(lia)) as E2. pose proof (Nat.mod_upper_bound (Datatypes.S t) 2 ltac:(lia)).
  destruct (Nat.div (Datatypes.S t) 2) as [|h'] eqn:Eh.
  - replace (Nat.div t 2) with O by lia. rewrite !binom_0. lia.
  - change (binom (Datatypes.S t) (Datatypes.S h')) with (binom t h' + binom t (Datatypes.S h')).
    pose proof (binom_nonneg t h'). pose proof (binom_nonneg t (Datatypes.S h')).
    destruct (Nat.eq_dec (Nat.div t 2) h') as [<-|Hne]; [lia|].
    replace (Nat.div t 2) with (Datatypes.S h') by lia. lia.
Qed.

(* Every digit bound binom(t, r), t <= s, is at most binom(s, floor(s/2)). *)
Lemma binom_le_central t r s : (t <= s)%nat -> binom t r <= binom s (Nat.div s 2).
Proof.
  intro H. eapply Z.le_trans; [apply binom_central|]. induction H; [lia|].
  eapply Z.le_trans; [exact IHle|apply binom_central_grows].
Qed.

(* --- Base-C digits ------------------------------------------------------------------------ *)

Fixpoint dval (C : Z) (ds : list Z) : Z := match ds with [] => 0 | x :: r => x + C * dval C r end.

Fixpoint dadd (a b : list Z) : list Z :=
  match a, b with
  | x :: a', y :: b' => (x + y) :: dadd a' b'
  | [], _ => b
  | _, [] => a
  end.

Lemma dval_dadd C a : forall b, dval C (dadd a b) = dval C a + dval C b.
Proof. induction a as [|x a IH]; intros [|y b]; simpl; try rewrite IH; ring. Qed.

Lemma dval_snoc0 C ds : dval C (ds ++ [0]) = dval C ds.
Proof. induction ds as [|x ds IH]; simpl; [ring|]. rewrite IH. ring. Qed.

Lemma nth_dadd a : forall b r, nth r (dadd a b) 0 = nth r a 0 + nth r b 0.
Proof.
  induction a as [|x a IH]; intros [|y b] [|r]; simpl; try rewrite IH; try reflexivity;
    try (destruct r; reflexivity); try ring.
  all: destruct r; simpl; ring.
Qed.

Lemma length_dadd a : forall b, length a = length b -> length (dadd a b) = length a.
Proof. induction a as [|x a IH]; intros [|y b] H; simpl in *; try lia. rewrite IH; lia. Qed.

Lemma nth_snoc0 l r : nth r (l ++ [0]) 0 = nth r l 0.
Proof.
  destruct (Nat.lt_ge_cases r (length l)). { now rewrite app_nth1. }
  rewrite app_nth2 by lia. rewrite (nth_overflow l) by lia. destruct (r - length l)%nat as [|[|]]; reflexivity.
Qed.

(* Digits in [0, C - 1], the top one at place t: top C^t <= value <= top C^t + C^t - 1. *)
Lemma dval_bounds C : 2 <= C -> forall t ds, length ds = Datatypes.S t -> (forall r, 0 <= nth r ds 0 <= C - 1) ->
  nth t ds 0 * C ^ Z.of_nat t <= dval C ds <= nth t ds 0 * C ^ Z.of_nat t + C ^ Z.of_nat t - 1.
Proof.
  intro HC. induction t as [|t IH]; intros ds Hl Hd.
  - destruct ds as [|x [|]]; simpl in Hl; try lia. specialize (Hd 0%nat). simpl in *. lia.
  - destruct ds as [|x ds]; simpl in Hl; [lia|]. injection Hl as Hl.
    assert (Hd' : forall r, 0 <= nth r ds 0 <= C - 1) by (intro r; exact (Hd (Datatypes.S r))).
    destruct (IH ds Hl Hd') as [L U]. pose proof (Hd 0%nat) as H0. simpl in H0.
    change (nth (Datatypes.S t) (x :: ds) 0) with (nth t ds 0). cbn [dval].
    rewrite Nat2Z.inj_succ, Z.pow_succ_r by lia. nia.
Qed.

Lemma dval_nonneg C ds : 0 <= C -> (forall r, 0 <= nth r ds 0) -> 0 <= dval C ds.
Proof.
  intro HC. induction ds as [|x ds IH]; intro H; simpl; [lia|].
  pose proof (H 0%nat). simpl in *. assert (0 <= dval C ds) by (apply IH; intro r; exact (H (Datatypes.S r))). nia.
Qed.

Lemma dval_low C ds : 0 <= C -> (forall r, 0 <= nth r ds 0) -> nth 0 ds 0 <= dval C ds.
Proof.
  intros HC H. destruct ds as [|x ds]; simpl; [lia|].
  assert (0 <= dval C ds) by (apply dval_nonneg; auto; intro r; exact (H (Datatypes.S r))). nia.
Qed.

Lemma dval_digit0 C ds : 2 <= C -> (forall r, 0 <= nth r ds 0 <= C - 1) -> dval C ds mod C = nth 0 ds 0.
Proof.
  intros HC Hd. destruct ds as [|x ds]; simpl; [reflexivity|].
  pose proof (Hd 0%nat) as H0; simpl in H0.
  rewrite Z.mul_comm, Z.mod_add by lia. apply Z.mod_small. lia.
Qed.

(* --- The all-max layers ------------------------------------------------------------------ *)

Definition all_max_heads (C : Z) : head * head := ({| bias := 0; out := C |}, {| bias := 0; out := 0 |}).

Lemma all_max_snoc P C : (1 <= p P)%nat -> forall t phase, (phase < p P)%nat ->
  all_max P C (Datatypes.S t) phase =
  all_max P C t phase ++ [Attention (Nat.modulo (phase + t) (p P)) {| bias := 0; out := C |} {| bias := 0; out := 0 |}].
Proof.
  intros Hp t. induction t as [|t IH]; intros phase Hph.
  - simpl. rewrite Nat.add_0_r, Nat.mod_small by exact Hph. reflexivity.
  - change (all_max P C (Datatypes.S (Datatypes.S t)) phase)
      with (Attention phase {| bias := 0; out := C |} {| bias := 0; out := 0 |} :: all_max P C (Datatypes.S t) (next_phase P phase)).
    rewrite IH by (apply next_phase_lt; exact Hp). simpl. do 3 f_equal.
    unfold next_phase. rewrite Nat.add_mod_idemp_l by lia.
    replace (Datatypes.S phase + t)%nat with (phase + Datatypes.S t)%nat by lia. reflexivity.
Qed.

Section AllMax.
Variables (P : pattern) (phase : nat) (C : Z) (s : nat) (Y : list Z) (Xmax : Z).
Hypothesis Hw : WellFormed P.
Hypothesis Hself : SelfAttention P.
Hypothesis Hphase : (phase < p P)%nat.
Hypothesis HC : binom s (Nat.div s 2) * Xmax < C.
Hypothesis HYl : length Y = N.to_nat (n P).
Hypothesis HY : forall k, (k < n P)%N -> 1 <= Xof Y k <= Xmax.
Hypothesis HX : 1 <= Xmax.

Let pat (t : nat) : nat := Nat.modulo (phase + t) (p P).
Let Zs (t : nat) : list Z := run P (all_max P C t phase) Y.

Fixpoint M (t : nat) (k : N) : Z :=
  match t with
  | O => Xof Y k
  | Datatypes.S t' => zmax (map (M t') (elements (row P (Nat.modulo (phase + t') (p P)) k)))
  end.

Lemma Hp1 : (1 <= p P)%nat.
Proof. now destruct Hw. Qed.

Lemma pat_lt t : (pat t < p P)%nat.
Proof. unfold pat. apply Nat.mod_upper_bound. pose proof Hp1. lia. Qed.

Lemma Zs_succ t : Zs (Datatypes.S t) = eval_layer P (Attention (pat t) {| bias := 0; out := C |} {| bias := 0; out := 0 |}) (Zs t).
Proof. unfold Zs. rewrite all_max_snoc by (exact Hp1 || exact Hphase). rewrite run_app. reflexivity. Qed.

Lemma Zs_length t : length (Zs t) = N.to_nat (n P).
Proof. unfold Zs. apply run_length, HYl. Qed.

Lemma row_token l k j : (l < p P)%nat -> (k < n P)%N -> attends P l k j -> (j < n P)%N.
Proof. destruct Hw as [_ [_ [Hr _]]]. apply Hr. Qed.

Lemma HC2 : 2 <= C.
Proof. pose proof (binom_central s 0). rewrite binom_0 in H. nia. Qed.

(* A column k at layer t + 1 takes the largest id over A_k in pattern pat t; that id belongs to
   some attended token j. *)
Lemma Zs_step t k : (k < n P)%N -> 0 < Xof (Zs t) k ->
  exists j, attends P (pat t) k j /\ (forall i, attends P (pat t) k i -> Xof (Zs t) i <= Xof (Zs t) j) /\
  Xof (Zs (Datatypes.S t)) k = Xof (Zs t) k + C * Xof (Zs t) j.
Proof.
  intros Hk Hpos. rewrite Zs_succ, eval_attention, all_max_column by auto.
  assert (Hne := attended_ids_nonempty P (pat t) (Zs t) k (Hself _ _ (pat_lt t) Hk)).
  destruct (proj1 (in_attended_ids P (pat t) (Zs t) k _) (zmax_in _ Hne)) as [j [Hj Ej]].
  exists j. split; [exact Hj|split].
  - intros i Hi. rewrite <- Ej. apply zmax_ge, in_attended_ids. eauto.
  - now rewrite Ej.
Qed.

(* The digit lemma: after t <= s layers, column k is sum_r c_r C^r with 0 <= c_r <= binom(t, r) X_max,
   c_0 = Y_k and c_t = M t k (the largest Y over S_k^t). No carry ever happens since the digits
   stay below C. *)
Theorem digits t : (t <= s)%nat -> forall k, (k < n P)%N ->
  exists ds, length ds = Datatypes.S t /\ Xof (Zs t) k = dval C ds /\
    (forall r, 0 <= nth r ds 0 <= binom t r * Xmax) /\ nth 0 ds 0 = Xof Y k /\ nth t ds 0 = M t k.
Proof.
  pose proof HC2 as HC2.
  assert (Hsmall : forall t' r, (t' <= s)%nat -> binom t' r * Xmax <= C - 1).
  { intros t' r H. pose proof (binom_le_central t' r s H). nia. }
  induction t as [|t IH]; intros Ht k Hk.
  - exists [Xof Y k]. pose proof (HY k Hk). split; [reflexivity|split; [unfold Zs; cbn [all_max run fold_left dval]; ring|]].
    split; [|split; reflexivity]. intros [|[|r]]; cbn [nth binom]; lia.
  - assert (IHt := fun k Hk => IH ltac:(lia) k Hk).
    destruct (IHt k Hk) as [dk [Lk [Vk [Dk [Fk Tk]]]]].
    assert (Hdig : forall k', (k' < n P)%N -> forall ds, (forall r, 0 <= nth r ds 0 <= binom t r * Xmax) ->
              forall r, 0 <= nth r ds 0 <= C - 1).
    { intros k' _ ds Hd r. specialize (Hd r). specialize (Hsmall t r ltac:(lia)). lia. }
    assert (Hpos : 0 < Xof (Zs t) k).
    { rewrite Vk. pose proof (dval_low C dk ltac:(lia) (fun r => proj1 (Dk r))). pose proof (HY k Hk). lia. }
    destruct (Zs_step t k Hk Hpos) as [j [Hj [Hmax Ez]]].
    assert (Hjn := row_token _ _ _ (pat_lt t) Hk Hj).
    destruct (IHt j Hjn) as [dj [Lj [Vj [Dj [Fj Tj]]]]].
    exists (dadd (dk ++ [0]) (0 :: dj)). split; [|split; [|split; [|split]]].
    + rewrite length_dadd; rewrite app_length; simpl; lia.
    + rewrite Ez, dval_dadd, dval_snoc0, Vk, Vj. simpl. ring.
    + intro r. rewrite nth_dadd, nth_snoc0. destruct r as [|r].
      * cbn [nth]. specialize (Dk 0%nat). rewrite !binom_0 in *. lia.
      * change (nth (Datatypes.S r) (0 :: dj) 0) with (nth r dj 0).
        change (binom (Datatypes.S t) (Datatypes.S r)) with (binom t r + binom t (Datatypes.S r)).
        specialize (Dk (Datatypes.S r)); specialize (Dj r). nia.
    + rewrite nth_dadd, nth_snoc0. simpl. lia.
    + rewrite nth_dadd, nth_snoc0. change (nth (Datatypes.S t) (0 :: dj) 0) with (nth t dj 0).
      rewrite (nth_overflow dk) by lia. rewrite Tj. simpl.
      (* j has the largest top digit among the attended tokens, since it has the largest value *)
      symmetry. apply zmax_is.
      * apply in_map. apply in_elements. exact Hj.
      * intros y Hy. apply in_map_iff in Hy as [i [<- Hi]]. apply in_elements in Hi.
        assert (Hin := row_token _ _ _ (pat_lt t) Hk Hi).
        destruct (IHt i Hin) as [di [Li [Vi [Di [Fi Ti]]]]].
        destruct (Z.le_gt_cases (M t i) (M t j)) as [Hle|Hgt]; [exact Hle|exfalso].
        pose proof (dval_bounds C HC2 t di Li (Hdig i Hin di Di)) as [Bi _].
        pose proof (dval_bounds C HC2 t dj Lj (Hdig j Hjn dj Dj)) as [_ Bj].
        rewrite Ti in Bi. rewrite Tj in Bj. specialize (Hmax i Hi). rewrite Vi, Vj in Hmax.
        assert (0 < C ^ Z.of_nat t) by (apply Z.pow_pos_nonneg; lia). nia.
Qed.

(* M t k is the largest Y over S_k^t (for the cycle started at phase). *)
Lemma M_max t : forall k, (k < n P)%N ->
  (forall j, Sfrom P phase t k j -> Xof Y j <= M t k) /\ (exists j, (j < n P)%N /\ Sfrom P phase t k j /\ Xof Y j = M t k).
Proof.
  induction t as [|t IH]; intros k Hk; simpl.
  - split; [intros j ->; lia|exists k; auto].
  - fold (pat t). split.
    + intros j [i [Hi Hs]]. assert (Hin := row_token _ _ _ (pat_lt t) Hk Hi).
      destruct (IH i Hin) as [U _]. eapply Z.le_trans; [apply U, Hs|].
      apply zmax_ge, in_map, in_elements, Hi.
    + assert (Hne : map (M t) (elements (row P (pat t) k)) <> []).
      { intro E. pose proof (Hself _ _ (pat_lt t) Hk) as Hkk. unfold attends in Hkk.
        apply in_elements in Hkk. apply (in_map (M t)) in Hkk. rewrite E in Hkk. destruct Hkk. }
      destruct (proj1 (in_map_iff _ _ _) (zmax_in _ Hne)) as [i [Ei Hi]]. apply in_elements in Hi.
      assert (Hin := row_token _ _ _ (pat_lt t) Hk Hi).
      destruct (IH i Hin) as [_ [j [Hj [Hs Ej]]]]. exists j. split; [exact Hj|split; [exists i; auto|]]. lia.
Qed.

(* Every id stays in [1, X_max (C + 1)^t]. *)
Lemma Zs_range t : forall k, (k < n P)%N -> 1 <= Xof (Zs t) k <= Xmax * (C + 1) ^ Z.of_nat t.
Proof.
  pose proof HC2. induction t as [|t IH]; intros k Hk.
  - unfold Zs; simpl. rewrite Z.mul_1_r. apply HY, Hk.
  - destruct (IH k Hk) as [L U]. destruct (Zs_step t k Hk ltac:(lia)) as [j [Hj [_ Ez]]].
    destruct (IH j (row_token _ _ _ (pat_lt t) Hk Hj)) as [Lj Uj]. rewrite Ez.
    rewrite Nat2Z.inj_succ, Z.pow_succ_r by lia. nia.
Qed.

End AllMax.

(* Growth, for any positive input (also one carrying the sentinel): column k after t layers is at
   least C^t times any Y over S_k^t. *)
Section Growth.
Variables (P : pattern) (phase : nat) (C : Z) (Y : list Z).
Hypothesis Hw : WellFormed P.
Hypothesis Hself : SelfAttention P.
Hypothesis Hphase : (phase < p P)%nat.
Hypothesis HC : 2 <= C.
Hypothesis HYl : length Y = N.to_nat (n P).
Hypothesis HY : forall k, (k < n P)%N -> 1 <= Xof Y k.

Let Zs (t : nat) : list Z := run P (all_max P C t phase) Y.

Lemma Zs_positive t : forall k, (k < n P)%N -> 1 <= Xof (Zs t) k.
Proof.
  induction t as [|t IH]; intros k Hk; [apply HY, Hk|].
  assert (Hp0 : 0 < Xof (Zs t) k) by (pose proof (IH k Hk); lia).
  destruct (Zs_step P phase C Y Hw Hself Hphase HYl t k Hk Hp0) as [j [Hj [_ Ez]]].
  pose proof (IH k Hk). pose proof (IH j (row_token P Hw _ _ _ (pat_lt P phase Y Hw Hphase HYl t) Hk Hj)).
  unfold Zs in *. cbv beta in *. rewrite Ez. nia.
Qed.

Lemma Zs_grows t : forall k j, (k < n P)%N -> Sfrom P phase t k j -> C ^ Z.of_nat t * Xof Y j <= Xof (Zs t) k.
Proof.
  induction t as [|t IH]; intros k j Hk Hs; simpl in Hs.
  - subst. unfold Zs. cbn [all_max run fold_left]. rewrite Z.pow_0_r. lia.
  - destruct Hs as [i [Hi Hs]]. assert (Hin := row_token P Hw _ _ _ (pat_lt P phase Y Hw Hphase HYl t) Hk Hi).
    pose proof (IH i j Hin Hs). pose proof (Zs_positive t k Hk).
    assert (Hp0 : 0 < Xof (Zs t) k) by lia.
    destruct (Zs_step P phase C Y Hw Hself Hphase HYl t k Hk Hp0) as [j' [Hj' [Hmax Ez]]].
    specialize (Hmax i Hi). unfold Zs in *. cbv beta in *. rewrite Ez.
    rewrite Nat2Z.inj_succ, Z.pow_succ_r by lia. nia.
Qed.

End Growth.

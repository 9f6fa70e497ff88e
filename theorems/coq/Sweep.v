(* The selective-shift sweep of Construction.v, proven for every n, d, m, p and Hamiltonian path:
   docs/construction.md, "(b) Contextual mapping", the invariants (proof) and injectivity. *)
From Coq Require Import Arith NArith ZArith List Bool Lia.
From Sparsecert Require Import Sets Index Theory Facts Checkers Refutations Construction.
Import ListNotations.

Local Open Scope Z_scope.

(* --- Lists of ids: largest and smallest ------------------------------------------------ *)

Lemma fold_max_ge (l : list Z) : forall x y, In y (x :: l) -> y <= fold_left Z.max l x.
Proof.
  induction l as [|z l IH]; intros x y H; simpl in *.
  - destruct H as [<-|[]]; lia.
  - destruct H as [<-|[<-|H]].
    + eapply Z.le_trans; [|apply IH; now left]. lia.
    + eapply Z.le_trans; [|apply IH; now left]. lia.
    + apply IH; now right.
Qed.

Lemma fold_max_in (l : list Z) : forall x, In (fold_left Z.max l x) (x :: l).
Proof.
  induction l as [|z l IH]; intros x; simpl; [now left|].
  destruct (IH (Z.max x z)) as [E|E]; rewrite <- ?E.
  - destruct (Z.max_spec x z) as [[_ ->]|[_ ->]]; [right; now left|now left].
  - right; now right.
Qed.

Lemma fold_min_le (l : list Z) : forall x y, In y (x :: l) -> fold_left Z.min l x <= y.
Proof.
  induction l as [|z l IH]; intros x y H; simpl in *.
  - destruct H as [<-|[]]; lia.
  - destruct H as [<-|[<-|H]].
    + eapply Z.le_trans; [apply IH; now left|]. lia.
    + eapply Z.le_trans; [apply IH; now left|]. lia.
    + apply IH; now right.
Qed.

Lemma fold_min_in (l : list Z) : forall x, In (fold_left Z.min l x) (x :: l).
Proof.
  induction l as [|z l IH]; intros x; simpl; [now left|].
  destruct (IH (Z.min x z)) as [E|E]; rewrite <- ?E.
  - destruct (Z.min_spec x z) as [[_ ->]|[_ ->]]; [now left|right; now left].
  - right; now right.
Qed.

Lemma zmax_ge l y : In y l -> y <= zmax l.
Proof. destruct l as [|x l]; [intros []|]. apply fold_max_ge. Qed.

Lemma zmax_in l : l <> [] -> In (zmax l) l.
Proof. destruct l as [|x l]; [contradiction|]. intros _. apply fold_max_in. Qed.

Lemma zmin_le l y : In y l -> zmin l <= y.
Proof. destruct l as [|x l]; [intros []|]. apply fold_min_le. Qed.

Lemma zmin_in l : l <> [] -> In (zmin l) l.
Proof. destruct l as [|x l]; [contradiction|]. intros _. apply fold_min_in. Qed.

(* The largest element, when it is known: an element that bounds all the others. *)
Lemma zmax_is l v : In v l -> (forall y, In y l -> y <= v) -> zmax l = v.
Proof.
  intros Hv Hb. assert (l <> []) by (intro E; subst; destruct Hv).
  apply Z.le_antisymm; [apply Hb, zmax_in; auto|apply zmax_ge, Hv].
Qed.

Lemma zmin_is l v : In v l -> (forall y, In y l -> v <= y) -> zmin l = v.
Proof.
  intros Hv Hb. assert (l <> []) by (intro E; subst; destruct Hv).
  apply Z.le_antisymm; [apply zmin_le, Hv|apply Hb, zmin_in; auto].
Qed.

Lemma zmin_le_zmax l : l <> [] -> zmin l <= zmax l.
Proof. intro H. apply zmax_ge, zmin_in, H. Qed.

(* --- The layers on ids ------------------------------------------------------------------ *)

Section Layers.
Variable P : pattern.

Lemma length_tokens n : length (tokens n) = N.to_nat n.
Proof. unfold tokens. now rewrite map_length, seq_length. Qed.

Lemma Xof_map_tokens (f : N -> Z) k : (k < n P)%N -> Xof (map f (tokens (n P))) k = f k.
Proof.
  intro Hk. unfold Xof. rewrite nth_indep with (d' := f 0%N) by (rewrite map_length, length_tokens; lia).
  rewrite map_nth, nth_tokens by exact Hk. reflexivity.
Qed.

Lemma in_attended_ids l X k y : In y (attended_ids P l X k) <-> exists j, attends P l k j /\ y = Xof X j.
Proof.
  unfold attended_ids, attends. rewrite in_map_iff. split.
  - intros [j [<- Hj]]. exists j; split; auto. now apply in_elements.
  - intros [j [Hj ->]]. exists j; split; auto. now apply in_elements.
Qed.

Lemma attended_ids_nonempty l X k : attends P l k k -> attended_ids P l X k <> [].
Proof.
  intros H E. assert (In (Xof X k) (attended_ids P l X k)) by (apply in_attended_ids; eauto).
  rewrite E in H0. destruct H0.
Qed.

Lemma eval_attention l h0 h1 X k : (k < n P)%N -> Xof (eval_layer P (Attention l h0 h1) X) k = column P l h0 h1 X k.
Proof. intro Hk. apply Xof_map_tokens, Hk. Qed.

Lemma eval_length L X : length X = N.to_nat (n P) -> length (eval_layer P L X) = N.to_nat (n P).
Proof. destruct L; simpl; auto. intros _. now rewrite map_length, length_tokens. Qed.

Lemma run_app A B X : run P (A ++ B) X = run P B (run P A X).
Proof. unfold run. now rewrite fold_left_app. Qed.

Lemma run_cons L A X : run P (L :: A) X = run P A (eval_layer P L X).
Proof. reflexivity. Qed.

Lemma run_identities A X : (forall L, In L A -> is_identity L = true) -> run P A X = X.
Proof.
  revert X; induction A as [|L A IH]; intros X H; [reflexivity|].
  rewrite run_cons. destruct L; [|specialize (H _ (or_introl eq_refl)); discriminate].
  apply IH. intros; apply H; now right.
Qed.

Lemma run_length A X : length X = N.to_nat (n P) -> length (run P A X) = N.to_nat (n P).
Proof. revert X; induction A as [|L A IH]; intros X H; [exact H|]. rewrite run_cons. apply IH, eval_length, H. Qed.

(* A shift layer moves only a column whose id is V, by K (max - min) of its attended ids. *)
Lemma shift_column l K V X k :
  column P l {| bias := - (2 * V - 1); out := K |} {| bias := - (2 * V + 1); out := - K |} X k =
  if Xof X k =? V then V + K * (zmax (attended_ids P l X k) - zmin (attended_ids P l X k)) else Xof X k.
Proof.
  unfold column, head_value; cbn [bias out]. set (x := Xof X k). set (vals := attended_ids P l X k).
  destruct (Z.eqb_spec x V) as [->|Hne].
  - replace (0 <? 2 * V + - (2 * V - 1)) with true by (symmetry; apply Z.ltb_lt; lia).
    replace (0 <? 2 * V + - (2 * V + 1)) with false by (symmetry; apply Z.ltb_ge; lia). cbv iota. ring.
  - destruct (Z.lt_ge_cases V x).
    + replace (0 <? 2 * x + - (2 * V - 1)) with true by (symmetry; apply Z.ltb_lt; lia).
      replace (0 <? 2 * x + - (2 * V + 1)) with true by (symmetry; apply Z.ltb_lt; lia). cbv iota. ring.
    + replace (0 <? 2 * x + - (2 * V - 1)) with false by (symmetry; apply Z.ltb_ge; lia).
      replace (0 <? 2 * x + - (2 * V + 1)) with false by (symmetry; apply Z.ltb_ge; lia). cbv iota. ring.
Qed.

(* The query of a shift head, 2 X_k - 2 V -+ 1, is odd: never 0, so hardmax never ties. *)
Lemma shift_query_nonzero x V : 2 * x + - (2 * V - 1) <> 0 /\ 2 * x + - (2 * V + 1) <> 0.
Proof. lia. Qed.

(* An all-max layer on a column with a positive id adds C times its largest attended id. *)
Lemma all_max_column l C X k : 0 < Xof X k ->
  column P l {| bias := 0; out := C |} {| bias := 0; out := 0 |} X k = Xof X k + C * zmax (attended_ids P l X k).
Proof.
  intro H. unfold column, head_value; cbn [bias out].
  replace (0 <? 2 * Xof X k + 0) with true by (symmetry; apply Z.ltb_lt; lia). cbv iota. ring.
Qed.

End Layers.

(* --- Arithmetic of the constants -------------------------------------------------------- *)

Lemma cd_succ m d : cd_of m (Datatypes.S d) = cd_of m d + m ^ Z.of_nat d.
Proof. unfold cd_of. now rewrite seq_S, fold_left_app. Qed.

Lemma cd_nonneg m d : 0 <= m -> 0 <= cd_of m d.
Proof.
  intro Hm. induction d as [|d IH]; [reflexivity|]. rewrite cd_succ.
  assert (0 <= m ^ Z.of_nat d) by (apply Z.pow_nonneg; lia). lia.
Qed.

Lemma K_ge m d : 2 <= m -> (1 <= d)%nat -> 2 <= K_of m d.
Proof.
  intros Hm Hd. unfold K_of. eapply Z.le_trans; [exact Hm|].
  rewrite <- (Z.pow_1_r m) at 1. apply Z.pow_le_mono_r; lia.
Qed.

(* m c_d = m + m^2 + ... + m^d >= m^d = K: buckets of consecutive offsets are K or more apart. *)
Lemma mcd_ge_K m d : 2 <= m -> (1 <= d)%nat -> K_of m d <= m * cd_of m d.
Proof.
  intros Hm Hd. destruct d as [|d]; [lia|]. unfold K_of. rewrite cd_succ.
  assert (0 <= cd_of m d) by (apply cd_nonneg; lia).
  rewrite Nat2Z.inj_succ, Z.pow_succ_r by lia. nia.
Qed.

Lemma sum_to_succ n f : sum_to (Datatypes.S n) f = sum_to n f + f n.
Proof. unfold sum_to. now rewrite seq_S, fold_left_app. Qed.

Lemma sum_to_ext n f g : (forall i, (i < n)%nat -> f i = g i) -> sum_to n f = sum_to n g.
Proof.
  induction n as [|n IH]; intro H; [reflexivity|]. rewrite !sum_to_succ, IH by (intros; apply H; lia).
  now rewrite H by lia.
Qed.

Lemma sum_to_scale c n f : c * sum_to n f = sum_to n (fun i => c * f i).
Proof. induction n as [|n IH]; [unfold sum_to; simpl; ring|]. rewrite !sum_to_succ, <- IH. ring. Qed.

Lemma sum_to_le n f g : (forall i, (i < n)%nat -> f i <= g i) -> sum_to n f <= sum_to n g.
Proof.
  induction n as [|n IH]; intro H; [unfold sum_to; simpl; lia|]. rewrite !sum_to_succ.
  assert (sum_to n f <= sum_to n g) by (apply IH; intros; apply H; lia).
  specialize (H n ltac:(lia)). lia.
Qed.

(* --- Waiting for the edge -------------------------------------------------------------- *)

(* How many steps of the cycle from phase to l. *)
Definition dist (P : pattern) (phase l : nat) : nat := if (phase <=? l)%nat then l - phase else l + p P - phase.

Lemma next_phase_lt P phase : (1 <= p P)%nat -> (next_phase P phase < p P)%nat.
Proof. intro H. unfold next_phase. apply Nat.mod_upper_bound. lia. Qed.

Lemma next_phase_val P phase : (phase < p P)%nat ->
  next_phase P phase = if (Datatypes.S phase <? p P)%nat then Datatypes.S phase else O.
Proof.
  intro H. unfold next_phase. destruct (Nat.ltb_spec (Datatypes.S phase) (p P)).
  - now apply Nat.mod_small.
  - replace (Datatypes.S phase) with (p P) by lia. apply Nat.mod_same. lia.
Qed.

(* With the edge in some pattern l, wait emits identity layers and stops at a phase with the edge,
   after at most dist(phase, l) <= p - 1 of them. *)
Lemma wait_spec P k j l : (l < p P)%nat -> has_edge P l k j = true -> forall fuel phase, (phase < p P)%nat ->
  (dist P phase l < fuel)%nat ->
  (forall L, In L (fst (wait P fuel phase k j)) -> is_identity L = true) /\
  has_edge P (snd (wait P fuel phase k j)) k j = true /\ (snd (wait P fuel phase k j) < p P)%nat /\
  (length (fst (wait P fuel phase k j)) <= dist P phase l)%nat.
Proof.
  intros Hl He fuel. induction fuel as [|f IH]; intros phase Hp Hd; [lia|]. simpl.
  destruct (has_edge P phase k j) eqn:Eh.
  { simpl. split; [intros L []|split; [exact Eh|split; [exact Hp|lia]]]. }
  assert (Hne : phase <> l) by (intro; subst; congruence).
  assert (Hn : (next_phase P phase < p P)%nat) by (apply next_phase_lt; lia).
  assert (Hdist : Datatypes.S (dist P (next_phase P phase) l) = dist P phase l).
  { unfold dist. rewrite next_phase_val by exact Hp.
    destruct (Nat.ltb_spec (Datatypes.S phase) (p P)), (Nat.leb_spec phase l), (Nat.leb_spec (Datatypes.S phase) l),
      (Nat.leb_spec 0 l); lia. }
  destruct (IH (next_phase P phase) Hn ltac:(lia)) as [H1 [H2 [H3 H4]]].
  destruct (wait P f (next_phase P phase) k j) as [ls ph] eqn:Ew. simpl in *.
  repeat split; auto; [|lia]. intros L [<-|HL]; auto.
Qed.

Lemma dist_lt P phase l : (phase < p P)%nat -> (l < p P)%nat -> (dist P phase l < p P)%nat.
Proof. intros; unfold dist; destruct (Nat.leb_spec phase l); lia. Qed.

Lemma skipn_nth_cons {A} (l : list A) d : forall i, (i < length l)%nat -> skipn i l = nth i l d :: skipn (Datatypes.S i) l.
Proof.
  induction l as [|x l IH]; intros i Hi; simpl in *; [lia|]. destruct i as [|i]; [reflexivity|].
  simpl. apply IH. lia.
Qed.

(* --- The ids before and after the sweep ------------------------------------------------- *)

(* The ids that stage (a) hands to stage (b) for the grid codes a: X0_k = a_k + m o_k c_d. *)
Definition X0 (P : pattern) (gamma : list N) (m : Z) (d : nat) (a : list Z) (k : N) : Z :=
  Xof a k + m * offset P gamma k * cd_of m d.

(* The shifted ids along the path: x_0 = X0(path[0]), x_i = X0(path[i]) + K (x_{i-1} - X0(path[i])). *)
Fixpoint xs (P : pattern) (gamma : list N) (m : Z) (d : nat) (a : list Z) (i : nat) : Z :=
  match i with
  | O => X0 P gamma m d a (nth 0 gamma 0%N)
  | Datatypes.S i' => K_of m d * xs P gamma m d a i' - (K_of m d - 1) * X0 P gamma m d a (nth i gamma 0%N)
  end.

(* Valid grid codes: one per token, in [0, K). *)
Definition valid_codes (P : pattern) (m : Z) (d : nat) (a : list Z) : Prop :=
  length a = N.to_nat (n P) /\ forall k, (k < n P)%N -> 0 <= Xof a k < K_of m d.

(* A state that holds f k in column k of every token. *)
Definition agrees (P : pattern) (X : list Z) (f : N -> Z) : Prop :=
  length X = N.to_nat (n P) /\ forall k, (k < n P)%N -> Xof X k = f k.

Section Sweep.
Variables (P : pattern) (gamma : list N) (m : Z) (d : nat).
Hypothesis Hw : WellFormed P.
Hypothesis Hself : SelfAttention P.
Hypothesis Hg : HamiltonianPath P gamma.
Hypothesis Hm : 2 <= m.
Hypothesis Hd : (1 <= d)%nat.

Let N0 := N.to_nat (n P).
Let K := K_of m d.
Let cd := cd_of m d.
Let g (i : nat) : N := nth i gamma 0%N.
Let pos (k : N) : nat := index_of k gamma.

Lemma HK : 2 <= K.
Proof. apply K_ge; auto. Qed.

Lemma Hmcd : K <= m * cd.
Proof. apply mcd_ge_K; auto. Qed.

Lemma Hcd : 0 <= cd.
Proof. apply cd_nonneg; lia. Qed.

Lemma len_gamma : length gamma = N0.
Proof. exact (path_length P gamma Hg). Qed.

Lemma pos_spec k : (k < n P)%N -> (pos k < N0)%nat /\ g (pos k) = k.
Proof.
  intro Hk. destruct (index_of_spec k gamma (path_in P gamma Hg k Hk)) as [H1 H2].
  rewrite len_gamma in H1. split; auto.
Qed.

Lemma g_token i : (i < N0)%nat -> (g i < n P)%N.
Proof. intro Hi. apply (path_token P gamma Hg). now rewrite len_gamma. Qed.

Lemma pos_g i : (i < N0)%nat -> pos (g i) = i.
Proof.
  intro Hi. destruct (pos_spec (g i) (g_token i Hi)) as [H1 H2].
  apply (path_inj P gamma Hg); rewrite ?len_gamma; auto.
Qed.

Lemma offset_g0 : (1 <= N0)%nat -> offset P gamma (g 0) = Z.of_nat N0.
Proof. intro H. unfold offset. fold (pos (g 0)). rewrite pos_g by lia. unfold N0. lia. Qed.

Lemma offset_g i : (1 <= i < N0)%nat -> offset P gamma (g i) = Z.of_nat i.
Proof. intro H. unfold offset. fold (pos (g i)). rewrite pos_g by lia. now destruct i; [lia|]. Qed.

Variable a : list Z.
Hypothesis Ha : valid_codes P m d a.

Let X0a := X0 P gamma m d a.
Let x := xs P gamma m d a.

Lemma Ha_range k : (k < n P)%N -> 0 <= Xof a k < K.
Proof. apply Ha. Qed.

(* Bucket of path position i: [m i c_d, m i c_d + K - 1] (i >= 1), [m n c_d, m n c_d + K - 1] (i = 0). *)
Lemma X0_bucket i : (i < N0)%nat ->
  bucket_lo m cd N0 i <= X0a (g i) <= bucket_lo m cd N0 i + K - 1.
Proof.
  intro Hi. unfold X0a, X0, bucket_lo. fold cd. pose proof (Ha_range (g i) (g_token i Hi)).
  destruct i as [|i].
  - rewrite offset_g0 by lia. simpl. lia.
  - rewrite offset_g by lia. simpl Nat.eqb. cbv iota. lia.
Qed.

Lemma x0_eq : x 0 = X0a (g 0).
Proof. reflexivity. Qed.

(* The shifted ids start in the top bucket and increase along the path. *)
Lemma x_grows i : (Datatypes.S i < N0)%nat -> m * Z.of_nat N0 * cd <= x i < x (Datatypes.S i).
Proof.
  pose proof HK; pose proof Hmcd; pose proof Hcd.
  induction i as [|i IH]; intro Hi.
  - assert (B0 := X0_bucket 0 ltac:(lia)). assert (B1 := X0_bucket 1 Hi).
    unfold bucket_lo in *; simpl Nat.eqb in *; cbv iota in *.
    change (x 1) with (K * x 0 - (K - 1) * X0a (g 1)). rewrite x0_eq.
    assert (m * Z.of_nat 1 * cd + K - 1 < m * Z.of_nat N0 * cd) by nia. nia.
  - destruct (IH ltac:(lia)) as [G1 G2]. split; [lia|].
    assert (B := X0_bucket (Datatypes.S (Datatypes.S i)) Hi). unfold bucket_lo in B; simpl Nat.eqb in B; cbv iota in B.
    change (x (Datatypes.S (Datatypes.S i))) with (K * x (Datatypes.S i) - (K - 1) * X0a (g (Datatypes.S (Datatypes.S i)))).
    assert (m * Z.of_nat (Datatypes.S (Datatypes.S i)) * cd + K - 1 < m * Z.of_nat N0 * cd) by nia. nia.
Qed.

Lemma x_top i : (i < N0)%nat -> m * Z.of_nat N0 * cd <= x i.
Proof.
  intro Hi. destruct i as [|i].
  - rewrite x0_eq. pose proof (X0_bucket 0 Hi). unfold bucket_lo in H; simpl in H. lia.
  - assert (H := x_grows i Hi). lia.
Qed.

Lemma x_mono i j : (i <= j)%nat -> (j < N0)%nat -> x i <= x j.
Proof.
  intros Hij Hj. induction Hij; [lia|]. assert (H := x_grows m0 Hj). specialize (IHHij ltac:(lia)). lia.
Qed.

Lemma x_strict i j : (i < j)%nat -> (j < N0)%nat -> x i < x j.
Proof.
  intros Hij Hj. destruct j as [|j]; [lia|]. assert (H := x_grows j Hj).
  assert (x i <= x j) by (apply x_mono; lia). lia.
Qed.

(* The state while the bucket of position i is swept, after its values V0 .. V0 + c - 1. *)
Definition E (i : nat) (c : Z) (k : N) : Z :=
  if (pos k <? i)%nat then x (pos k)
  else if (pos k =? i)%nat then (if Xof a k <? c then x i else X0a k) else X0a k.

Lemma bucket_bound i : (1 <= i < N0)%nat -> m * Z.of_nat i * cd + K - 1 < m * Z.of_nat N0 * cd.
Proof. intro H. pose proof Hmcd; pose proof Hcd. nia. Qed.

(* One shift layer: the column at the window is path[i], and only when c is its code. *)
Lemma shift_step i c l X : (1 <= i < N0)%nat -> 0 <= c < K -> (l < p P)%nat ->
  has_edge P l (g i) (g (i - 1)) = true -> agrees P X (E i c) ->
  agrees P (eval_layer P (shift_layer l K (m * Z.of_nat i * cd + c)) X) (E i (c + 1)).
Proof.
  intros Hi Hc Hl He [HXl HX]. pose proof HK; pose proof Hmcd; pose proof Hcd.
  set (V := m * Z.of_nat i * cd + c).
  split; [apply eval_length, HXl|]. intros k Hk. unfold shift_layer. rewrite eval_attention, shift_column by exact Hk.
  rewrite (HX k Hk). destruct (pos_spec k Hk) as [Hpk Hgk].
  assert (Hbb := bucket_bound i Hi).
  (* the value of every token against V *)
  assert (Top : forall j, (j < N0)%nat -> V < x j) by (intros j Hj; pose proof (x_top j Hj); lia).
  assert (Low : forall k', (k' < n P)%N -> (i < pos k')%nat -> V < X0a k' <= m * Z.of_nat (N0 - 1) * cd + K - 1).
  { intros k' Hk' Hp. destruct (pos_spec k' Hk') as [G1 G2]. assert (B := X0_bucket (pos k') G1).
    rewrite G2 in B. unfold bucket_lo in B. destruct (pos k') as [|q] eqn:Eq; [lia|]. simpl Nat.eqb in B; cbv iota in B.
    split; [nia|]. assert (Z.of_nat (Datatypes.S q) <= Z.of_nat (N0 - 1)) by lia. nia. }
  unfold E.
  destruct (Nat.ltb_spec (pos k) i) as [Hlt|Hge].
  - replace (x (pos k) =? V) with false by (symmetry; apply Z.eqb_neq; specialize (Top (pos k) Hpk); lia). reflexivity.
  - destruct (Nat.eqb_spec (pos k) i) as [Heq|Hne].
    + pose proof (Ha_range k Hk) as Hak.
      destruct (Z.ltb_spec (Xof a k) c) as [Hac|Hac].
      * replace (Xof a k <? c + 1) with true by (symmetry; apply Z.ltb_lt; lia).
        replace (x i =? V) with false by (symmetry; apply Z.eqb_neq; specialize (Top i ltac:(lia)); lia). reflexivity.
      * assert (EX : X0a k = Xof a k + m * Z.of_nat i * cd).
        { unfold X0a, X0. fold cd. rewrite <- Hgk, Heq, offset_g by lia. ring. }
        destruct (Z.eq_dec (Xof a k) c) as [Ec|Nc].
        -- replace (X0a k =? V) with true by (symmetry; apply Z.eqb_eq; unfold V; lia).
           replace (Xof a k <? c + 1) with true by (symmetry; apply Z.ltb_lt; lia).
           (* the attended ids: the largest is x_{i-1} (path[i-1], the edge), the smallest V (itself) *)
           assert (Hvals : forall y, In y (attended_ids P l X k) -> V <= y <= x (i - 1)).
           { intros y Hy. apply in_attended_ids in Hy as [j [Hj ->]].
             destruct Hw as [_ [_ [Hr _]]]. assert (Hjn := Hr l k j Hl Hk Hj).
             rewrite (HX j Hjn). unfold E. destruct (pos_spec j Hjn) as [Hpj Hgj].
             destruct (Nat.ltb_spec (pos j) i).
             - split; [specialize (Top (pos j) Hpj); lia|apply x_mono; lia].
             - destruct (Nat.eqb_spec (pos j) i) as [Ej|Nj].
               + assert (j = k) by (rewrite <- Hgj, <- Hgk, Ej, Heq; reflexivity). subst j.
                 replace (Xof a k <? c) with false by (symmetry; apply Z.ltb_ge; lia).
                 split; [unfold V; lia|]. specialize (Top (i - 1)%nat ltac:(lia)). unfold V in *; lia.
               + destruct (Low j Hjn ltac:(lia)) as [L1 L2]. split; [lia|].
                 pose proof (x_top (i - 1) ltac:(lia)). assert (Z.of_nat (N0 - 1) + 1 = Z.of_nat N0) by lia. nia. }
           assert (Hmax : zmax (attended_ids P l X k) = x (i - 1)).
           { apply zmax_is; [|intros y Hy; apply Hvals, Hy]. apply in_attended_ids.
             exists (g (i - 1)). split; [unfold attends; rewrite <- Hgk, Heq; exact He|]. rewrite (HX _ (g_token (i - 1) ltac:(lia))). unfold E.
             rewrite pos_g by lia. replace (i - 1 <? i)%nat with true by (symmetry; apply Nat.ltb_lt; lia). reflexivity. }
           assert (Hmin : zmin (attended_ids P l X k) = V).
           { apply zmin_is; [|intros y Hy; apply Hvals, Hy]. apply in_attended_ids.
             exists k. split; [apply Hself; auto|]. rewrite (HX k Hk). unfold E.
             replace (pos k <? i)%nat with false by (symmetry; apply Nat.ltb_ge; lia).
             replace (pos k =? i)%nat with true by (symmetry; apply Nat.eqb_eq; lia).
             replace (Xof a k <? c) with false by (symmetry; apply Z.ltb_ge; lia). unfold V; lia. }
           rewrite Hmax, Hmin.
           (* x_i = K x_{i-1} - (K-1) X0(path[i]) *)
           destruct i as [|i']; [lia|].
           change (x (Datatypes.S i')) with (K * x i' - (K - 1) * X0a (g (Datatypes.S i'))).
           replace (Datatypes.S i' - 1)%nat with i' by lia. rewrite <- Heq, Hgk.
           replace (X0a k) with V by (unfold V; lia). ring.
        -- replace (X0a k =? V) with false by (symmetry; apply Z.eqb_neq; unfold V; lia).
           replace (Xof a k <? c + 1) with false by (symmetry; apply Z.ltb_ge; lia). reflexivity.
    + destruct (Low k Hk ltac:(lia)) as [L1 _].
      replace (X0a k =? V) with false by (symmetry; apply Z.eqb_neq; lia). reflexivity.
Qed.

Lemma edge_at i : (1 <= i < N0)%nat -> exists l, (l < p P)%nat /\ has_edge P l (g i) (g (i - 1)) = true.
Proof.
  intro Hi. destruct (path_edge P gamma Hg (i - 1) ltac:(rewrite len_gamma; lia)) as [l [Hl Ha']].
  exists l. split; [exact Hl|]. replace (Datatypes.S (i - 1)) with i in Ha' by lia. exact Ha'.
Qed.

Lemma bucket_spec i : (1 <= i < N0)%nat -> forall count c phase X, 0 <= c -> c + Z.of_nat count <= K ->
  (phase < p P)%nat -> agrees P X (E i c) ->
  agrees P (run P (fst (sweep_bucket P (g i) (g (i - 1)) K (m * Z.of_nat i * cd) count c phase)) X) (E i (c + Z.of_nat count)) /\
  (snd (sweep_bucket P (g i) (g (i - 1)) K (m * Z.of_nat i * cd) count c phase) < p P)%nat.
Proof.
  intros Hi count. destruct (edge_at i Hi) as [l [Hl He]].
  induction count as [|count IH]; intros c phase X Hc0 Hc Hp HX; simpl.
  - now rewrite Z.add_0_r.
  - destruct (wait_spec P (g i) (g (i - 1)) l Hl He (p P) phase Hp (dist_lt P phase l Hp Hl)) as [W1 [W2 [W3 _]]].
    destruct (wait P (p P) phase (g i) (g (i - 1))) as [ids ph] eqn:Ew. simpl in W1, W2, W3.
    assert (Hn : (next_phase P ph < p P)%nat) by (apply next_phase_lt; lia).
    assert (Step : agrees P (eval_layer P (shift_layer ph K (m * Z.of_nat i * cd + c)) X) (E i (c + 1))).
    { apply shift_step; auto; lia. }
    destruct (IH (c + 1) (next_phase P ph) _ ltac:(lia) ltac:(lia) Hn Step) as [R1 R2].
    destruct (sweep_bucket P (g i) (g (i - 1)) K (m * Z.of_nat i * cd) count (c + 1) (next_phase P ph)) as [rest ph'] eqn:Eb.
    cbn [fst snd] in *. split; [|exact R2].
    rewrite run_app, (run_identities P ids X W1), run_cons.
    replace (c + Z.pos (Pos.of_succ_nat count)) with (c + 1 + Z.of_nat count) by lia. exact R1.
Qed.

Lemma E_next i : (i < N0)%nat -> forall k, (k < n P)%N -> E i K k = E (Datatypes.S i) 0 k.
Proof.
  intros Hi k Hk. unfold E. pose proof (Ha_range k Hk).
  destruct (Nat.ltb_spec (pos k) i), (Nat.ltb_spec (pos k) (Datatypes.S i)); try lia; auto.
  - destruct (Nat.eqb_spec (pos k) i); [|lia]. replace (Xof a k <? K) with true by (symmetry; apply Z.ltb_lt; lia).
    now rewrite e.
  - destruct (Nat.eqb_spec (pos k) i); [lia|]. destruct (Nat.eqb_spec (pos k) (Datatypes.S i)); auto.
    replace (Xof a k <? 0) with false by (symmetry; apply Z.ltb_ge; lia). reflexivity.
Qed.

Lemma positions_spec : forall r i phase X, (1 <= i)%nat -> (i + r = N0)%nat -> (phase < p P)%nat -> agrees P X (E i 0) ->
  agrees P (run P (fst (sweep_positions P m cd K (skipn i gamma) i (g (i - 1)) phase)) X) (E N0 0) /\
  (snd (sweep_positions P m cd K (skipn i gamma) i (g (i - 1)) phase) < p P)%nat.
Proof.
  pose proof HK.
  induction r as [|r IH]; intros i phase X Hi Hr Hp HX.
  - replace i with N0 in * by lia. rewrite skipn_all2 by (rewrite len_gamma; lia). simpl. auto.
  - rewrite (skipn_nth_cons gamma 0%N i) by (rewrite len_gamma; lia). cbn [sweep_positions].
    destruct (bucket_spec i ltac:(lia) (Z.to_nat K) 0 phase X ltac:(lia) ltac:(lia) Hp HX) as [B1 B2].
    fold (g i).
    destruct (sweep_bucket P (g i) (g (i - 1)) K (m * Z.of_nat i * cd) (Z.to_nat K) 0 phase) as [ls ph] eqn:Eb.
    cbn [fst snd] in B1, B2. rewrite Z2Nat.id, Z.add_0_l in B1 by lia.
    assert (HX' : agrees P (run P ls X) (E (Datatypes.S i) 0)).
    { destruct B1 as [L1 L2]. split; [exact L1|]. intros k Hk. rewrite L2 by exact Hk. apply E_next; auto; lia. }
    destruct (IH (Datatypes.S i) ph (run P ls X) ltac:(lia) ltac:(lia) B2 HX') as [R1 R2].
    replace (Datatypes.S i - 1)%nat with i in R1, R2 by lia.
    destruct (sweep_positions P m cd K (skipn (Datatypes.S i) gamma) (Datatypes.S i) (g i) ph) as [rest ph'] eqn:Ep.
    cbn [fst snd] in *. rewrite run_app. split; auto.
Qed.

Lemma initial_agrees : agrees P (map X0a (tokens (n P))) (E 1 0).
Proof.
  split; [now rewrite map_length, length_tokens|]. intros k Hk. rewrite Xof_map_tokens by exact Hk.
  unfold E. destruct (pos_spec k Hk) as [H1 H2]. pose proof (Ha_range k Hk).
  destruct (Nat.ltb_spec (pos k) 1).
  - replace (pos k) with O in * by lia. rewrite x0_eq. now rewrite H2.
  - destruct (Nat.eqb_spec (pos k) 1); auto. replace (Xof a k <? 0) with false by (symmetry; apply Z.ltb_ge; lia). auto.
Qed.

(* After the sweep, path[i] holds x_i: the invariants of docs/construction.md by induction along the
   path and along each bucket. *)
Theorem sweep_spec phase : (2 <= N0)%nat -> (phase < p P)%nat ->
  agrees P (run P (fst (sweep P m d gamma phase)) (map X0a (tokens (n P)))) (fun k => x (pos k)) /\
  (snd (sweep P m d gamma phase) < p P)%nat.
Proof.
  intros Hn Hp.
  assert (Eg : gamma = g 0 :: skipn 1 gamma) by (apply (skipn_nth_cons gamma 0%N 0); rewrite len_gamma; lia).
  assert (Hsw : sweep P m d gamma phase = sweep_positions P m cd K (skipn 1 gamma) 1 (g (1 - 1)) phase).
  { unfold sweep. rewrite Eg at 1. reflexivity. }
  rewrite Hsw.
  destruct (positions_spec (N0 - 1) 1 phase _ ltac:(lia) ltac:(lia) Hp initial_agrees) as [[L1 L2] R].
  split; [split; [exact L1|]|exact R]. intros k Hk. rewrite L2 by exact Hk. unfold E.
  destruct (pos_spec k Hk) as [H1 _]. replace (pos k <? N0)%nat with true by (symmetry; apply Nat.ltb_lt; lia). reflexivity.
Qed.

End Sweep.

(* --- Injectivity: x_{n-1} determines the input (base-K digits) ---------------------------- *)

Lemma small_div_unique K q r q' r' : 0 < K -> 0 <= r < K -> 0 <= r' < K -> K * q + r = K * q' + r' -> q = q' /\ r = r'.
Proof.
  intros HK Hr Hr' E. destruct (Z.lt_trichotomy q q') as [H|[H|H]].
  - assert (K * q + K <= K * q') by nia. lia.
  - subst. lia.
  - assert (K * q' + K <= K * q) by nia. lia.
Qed.

Section Injective.
Variables (P : pattern) (gamma : list N) (m : Z) (d : nat).
Hypothesis Hw : WellFormed P.
Hypothesis Hself : SelfAttention P.
Hypothesis Hg : HamiltonianPath P gamma.
Hypothesis Hm : 2 <= m.
Hypothesis Hd : (1 <= d)%nat.
Variables a a' : list Z.
Hypothesis Ha : valid_codes P m d a.
Hypothesis Ha' : valid_codes P m d a'.

Let N0 := N.to_nat (n P).
Let K := K_of m d.
Let cd := cd_of m d.
Let g (i : nat) : N := nth i gamma 0%N.

Lemma xs_determines : forall i, (i < N0)%nat -> xs P gamma m d a i = xs P gamma m d a' i ->
  forall j, (j <= i)%nat -> Xof a (g j) = Xof a' (g j).
Proof.
  pose proof (HK m d Hm Hd) as HK2.
  induction i as [|i IH]; intros Hi E j Hj.
  - replace j with O by lia. cbn [xs] in E. unfold X0 in E. unfold g. lia.
  - assert (Hoff : offset P gamma (g (Datatypes.S i)) = Z.of_nat (Datatypes.S i))
      by exact (offset_g P gamma m d Hg Hd (Datatypes.S i) ltac:(lia)).
    pose proof (Ha_range P m d a Ha (g (Datatypes.S i)) (g_token P gamma Hg _ Hi)) as R.
    pose proof (Ha_range P m d a' Ha' (g (Datatypes.S i)) (g_token P gamma Hg _ Hi)) as R'.
    cbn [xs] in E. unfold X0 in E. fold (g (Datatypes.S i)) in E. rewrite Hoff in E. fold K cd in E, R, R'.
    set (r := Xof a (g (Datatypes.S i))) in *. set (r' := Xof a' (g (Datatypes.S i))) in *.
    set (q := xs P gamma m d a i - (r + m * Z.of_nat (Datatypes.S i) * cd)).
    set (q' := xs P gamma m d a' i - (r' + m * Z.of_nat (Datatypes.S i) * cd)).
    destruct (small_div_unique K q r q' r' ltac:(lia) R R' ltac:(unfold q, q'; lia)) as [Eq Er].
    destruct (Nat.eq_dec j (Datatypes.S i)) as [->|Hne]; [exact Er|].
    apply IH; [lia| |lia]. unfold q, q' in Eq. lia.
Qed.

(* Two valid inputs whose last shifted id agrees are the same input. *)
Theorem sweep_injective : (1 <= N0)%nat ->
  xs P gamma m d a (N0 - 1) = xs P gamma m d a' (N0 - 1) -> a = a'.
Proof.
  intros Hn E. destruct Ha as [L _], Ha' as [L' _].
  apply nth_ext with (d := 0) (d' := 0); [congruence|]. intros t Ht. rewrite L in Ht.
  assert (Hk : (N.of_nat t < n P)%N) by (unfold N0 in *; lia).
  destruct (pos_spec P gamma Hg _ Hk) as [H1 H2].
  assert (G := xs_determines (N0 - 1) ltac:(lia) E (index_of (N.of_nat t) gamma) ltac:(lia)).
  cbv beta in H2. unfold g in G. rewrite H2 in G.
  unfold Xof in G. now rewrite Nat2N.id in G.
Qed.

End Injective.

(* --- x_{n-1} unrolled, and its extremes -------------------------------------------------- *)

Lemma coef_succ K j i : (i <= j)%nat -> coef K (Datatypes.S (Datatypes.S j)) i = K * coef K (Datatypes.S j) i.
Proof.
  intro H. unfold coef. destruct (Nat.eqb_spec i 0).
  - replace (Datatypes.S (Datatypes.S j) - 1)%nat with (Datatypes.S (Datatypes.S j - 1)) by lia.
    rewrite Nat2Z.inj_succ, Z.pow_succ_r by lia. ring.
  - replace (Datatypes.S (Datatypes.S j) - 1 - i)%nat with (Datatypes.S (Datatypes.S j - 1 - i)) by lia.
    rewrite Nat2Z.inj_succ, Z.pow_succ_r by lia. ring.
Qed.

Lemma xs_unrolled P gamma m d a : forall j,
  xs P gamma m d a j = sum_to (Datatypes.S j) (fun i => coef (K_of m d) (Datatypes.S j) i * X0 P gamma m d a (nth i gamma 0%N)).
Proof.
  induction j as [|j IH].
  - rewrite sum_to_succ. unfold sum_to, coef. cbn [seq fold_left xs Nat.eqb]. rewrite Z.pow_0_r. ring.
  - change (xs P gamma m d a (Datatypes.S j)) with
      (K_of m d * xs P gamma m d a j - (K_of m d - 1) * X0 P gamma m d a (nth (Datatypes.S j) gamma 0%N)).
    rewrite IH, sum_to_scale, (sum_to_succ (Datatypes.S j)).
    replace (coef (K_of m d) (Datatypes.S (Datatypes.S j)) (Datatypes.S j)) with (- (K_of m d - 1)).
    2:{ unfold coef. simpl Nat.eqb. cbv iota. replace (Datatypes.S (Datatypes.S j) - 1 - Datatypes.S j)%nat with O by lia. simpl. ring. }
    rewrite (sum_to_ext _ (fun i => K_of m d * (coef (K_of m d) (Datatypes.S j) i * X0 P gamma m d a (nth i gamma 0%N)))
                        (fun i => coef (K_of m d) (Datatypes.S (Datatypes.S j)) i * X0 P gamma m d a (nth i gamma 0%N))).
    + ring.
    + intros i Hi. rewrite coef_succ by lia. ring.
Qed.

Section Bounds.
Variables (P : pattern) (gamma : list N) (m : Z) (d : nat).
Hypothesis Hg : HamiltonianPath P gamma.
Hypothesis Hm : 2 <= m.
Hypothesis Hd : (1 <= d)%nat.
Variable a : list Z.
Hypothesis Ha : valid_codes P m d a.
Let N0 := N.to_nat (n P).

Theorem last_id_bounds : (1 <= N0)%nat ->
  X_low m d N0 <= xs P gamma m d a (N0 - 1) <= X_high m d N0.
Proof.
  intro Hn. rewrite xs_unrolled. replace (Datatypes.S (N0 - 1)) with N0 by lia.
  unfold X_low, X_high. split; apply sum_to_le; intros i Hi; cbv beta zeta;
    pose proof (X0_bucket P gamma m d Hg Hd a Ha i Hi) as B; cbv beta in B; fold N0 in B;
    destruct (Z.leb_spec 0 (coef (K_of m d) N0 i)); nia.
Qed.

End Bounds.
